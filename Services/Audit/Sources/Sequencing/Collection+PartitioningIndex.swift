// Binary search for the first element of a sorted collection that satisfies a predicate.

extension Collection {
    /// The first index whose element satisfies `belongs` (which must be false, then true, along
    /// the collection), by binary search.
    func partitioningIndex(where belongs: (Element) -> Bool) -> Index {
        var (low, count) = (startIndex, self.count)
        while count > 0 {
            let half = count / 2
            let middle = index(low, offsetBy: half)
            if belongs(self[middle]) {
                count = half
            } else {
                low = index(after: middle)
                count -= half + 1
            }
        }
        return low
    }
}
