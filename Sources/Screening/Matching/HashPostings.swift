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
    ///
    /// Linear time, no sort: a first pass counts the distinct keys (to size the table), a second places each key
    /// and counts its values, a third lays the values out key by key, in the order they were given.
    public init(_ pairs: [(UInt64, Int32)]) {
        // Pass 1: distinct keys, to size the table.
        var distinct = KeySet(capacity: pairs.count)
        for (key, _) in pairs { distinct.insert(key) }
        var capacity = 16
        while capacity < distinct.count * 2 { capacity <<= 1 }
        mask = capacity - 1
        count = distinct.count
        keys = .allocate(capacity: capacity)
        keys.initialize(repeating: 0, count: capacity)
        starts = .allocate(capacity: capacity)
        starts.initialize(repeating: 0, count: capacity)
        ends = .allocate(capacity: capacity)
        ends.initialize(repeating: 0, count: capacity)
        values = .allocate(capacity: max(pairs.count, 1))
        var filterBits = 1024
        while filterBits < distinct.count * 16 { filterBits <<= 1 }
        filterMask = UInt64(filterBits - 1)
        filter = .allocate(capacity: filterBits / 64)
        filter.initialize(repeating: 0, count: filterBits / 64)
        // Pass 2: place each key; `ends` counts its values for now. Each pair's slot is kept for pass 3.
        var slots = [Int32](repeating: 0, count: pairs.count)
        for (n, (raw, _)) in pairs.enumerated() {
            let key = raw == 0 ? 1 : raw
            var slot = Self.slot(key, mask)
            while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & mask }
            if keys[slot] == 0 {
                keys[slot] = key
                let bit = Self.filterBit(key, filterMask)
                filter[Int(bit >> 6)] |= 1 << (bit & 63)
            }
            ends[slot] += 1
            slots[n] = Int32(slot)
        }
        // Each key's values start where the previous key's end (in slot order); `ends` becomes the fill cursor.
        var next: Int32 = 0
        for slot in 0..<capacity where keys[slot] != 0 {
            starts[slot] = next
            next += ends[slot]
            ends[slot] = starts[slot]
        }
        // Pass 3: the values, in the order given; each key's cursor ends where its values end.
        for (n, (_, value)) in pairs.enumerated() {
            let slot = Int(slots[n])
            (values + Int(ends[slot])).initialize(to: value)
            ends[slot] += 1
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

/// A set of 64-bit keys in one flat table with open addressing, for building indexes: no SipHash, no allocation per
/// insert. Key 0 is stored as 1 (as `HashPostings` does).
struct KeySet {
    private var slots: [UInt64]
    private let mask: Int
    private(set) var count = 0

    /// A set for up to `capacity` keys.
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    /// Adds `raw`; true when it was not there yet.
    @discardableResult
    mutating func insert(_ raw: UInt64) -> Bool {
        let key = raw == 0 ? 1 : raw
        var slot = HashPostings.slot(key, mask)
        while true {
            let k = slots[slot]
            if k == key { return false }
            if k == 0 { break }
            slot = (slot + 1) & mask
        }
        precondition(count * 2 < slots.count, "KeySet: more keys than its capacity")
        slots[slot] = key
        count += 1
        return true
    }
}
