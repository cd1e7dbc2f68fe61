// The coders of the JSON the stores keep in their columns.

import Foundation
import RegistrySchema

/// The one encoder and decoder for JSON kept in store columns (catalog entries, addresses,
/// decisions, reasons). Keys are sorted, so equal values are equal bytes in every process
/// (`JSONEncoder`'s key order otherwise follows a per-process hash seed). One pair for the
/// process: store types are made per use, often per message.
public enum StoredJSON {
    /// Encodes values for a column.
    public static let encoder = SortedJSONEncoder()
    /// Decodes a column's JSON.
    public static let decoder = JSONDecoder()
}
