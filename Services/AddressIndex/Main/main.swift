// Entry point of the address-index executable.

import Foundation
import AddressIndex
import ServiceRuntime

exit(await ServiceMain.run(AddressIndexService.self).rawValue)
