/// An immutable map from 64-bit token hashes to lists of 32-bit values, in flat memory with open addressing, so a
/// look-up in the screening hot path is one multiply, a probe or two, no allocation and no reference counting (a
/// `Dictionary` hashes its keys again with SipHash and keeps an array per key).
public final class HashPostings: @unchecked Sendable {
    // Written once in `init`, read-only afterwards: safe to share between threads.
    private let keys: UnsafeMutablePointer<UInt64>
    private let starts: UnsafeMutablePointer<Int32>
    private let ends: UnsafeMutablePointer<Int32>
    private let values: UnsafeMutablePointer<Int32>
    private let mask: Int
    /// A one-bit-per-slot filter, 16 bits per key, small enough to stay in cache: most words of ordinary text are
    /// answered by it without touching the table (a miss in the large table costs a trip to memory).
    private let filter: UnsafeMutablePointer<UInt64>
    private let filterMask: UInt64
    public let count: Int

    /// Builds the table from (key, value) pairs; values of one key keep their order.
    public init(_ pairs: [(UInt64, Int32)]) {
        // Group by key with one sort (stable: values of one key keep their order), not a dictionary of arrays.
        let sorted = pairs.enumerated().map { (key: $0.element.0 == 0 ? 1 : $0.element.0, order: $0.offset) }
            .sorted { ($0.key, $0.order) < ($1.key, $1.order) }
        var distinct = 0
        for (n, e) in sorted.enumerated() where n == 0 || sorted[n - 1].key != e.key { distinct += 1 }
        var capacity = 16
        while capacity < distinct * 2 { capacity <<= 1 }
        mask = capacity - 1
        count = distinct
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        starts = .allocate(capacity: capacity)
        starts.initialize(repeating: 0, count: capacity)
        ends = .allocate(capacity: capacity)
        ends.initialize(repeating: 0, count: capacity)
        values = .allocate(capacity: max(pairs.count, 1))
        var filterBits = 1024
        while filterBits < distinct * 16 { filterBits <<= 1 }
        filterMask = UInt64(filterBits - 1)
        filter = .allocate(capacity: filterBits / 64)
        filter.initialize(repeating: 0, count: filterBits / 64)
        var n = 0
        while n < sorted.count {
            let key = sorted[n].key
            let bit = Self.filterBit(key, filterMask)
            filter[Int(bit >> 6)] |= 1 << (bit & 63)
            var slot = Self.slot(key, mask)
            while keys[slot] != 0 { slot = (slot + 1) & mask }
            keys[slot] = key
            starts[slot] = Int32(n)
            while n < sorted.count && sorted[n].key == key {
                (values + n).initialize(to: pairs[sorted[n].order].1)
                n += 1
            }
            ends[slot] = Int32(n)
        }
    }

    deinit {
        keys.deallocate()
        starts.deallocate()
        ends.deallocate()
        values.deallocate()
        filter.deallocate()
    }

    @inline(__always)
    static func filterBit(_ key: UInt64, _ mask: UInt64) -> UInt64 { (key ^ (key >> 29)) & mask }

    @inline(__always)
    static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 40) & mask
    }

    /// Where the values of `key` are (`value(at:)` for each index of the range); empty when none.
    @inline(__always)
    public func range(_ raw: UInt64) -> Range<Int> {
        let key = raw == 0 ? 1 : raw
        let bit = Self.filterBit(key, filterMask)
        if filter[Int(bit >> 6)] & (1 << (bit & 63)) == 0 { return 0..<0 }
        var slot = Self.slot(key, mask)
        while true {
            let k = keys[slot]
            if k == key { return Int(starts[slot])..<Int(ends[slot]) }
            if k == 0 { return 0..<0 }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    public func value(at index: Int) -> Int32 { values[index] }

    /// Whether any value is stored under `key`.
    @inline(__always)
    public func contains(_ key: UInt64) -> Bool { !range(key).isEmpty }

    /// The values stored under `key`, as an array (tests and cold paths).
    public subscript(key: UInt64) -> [Int32] { range(key).map(value(at:)) }
}
