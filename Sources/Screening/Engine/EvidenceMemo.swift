import Foundation

/// Remembers, per thread, what a line's evidence gave before the shipment rules. Everything `LineScreening.run`
/// decides (candidates, identifier flags, the word context) depends only on four fields: the HS code, the
/// description, the CAS number and the species; so do the merged findings (for each direction) and the code checks.
/// Declaration files repeat those four a great deal (one trader ships the same goods under the same description
/// line after line), so a repeated line skips tokenising, the word tables and the name indexes, and goes straight
/// to the rules that read its own date, direction, countries and permits.
///
/// Two-way set-associative by a hash of the four fields; the stored key is compared byte for byte, so a collision
/// costs a recomputation, never a wrong answer. Output does not depend on whether a line was remembered.
///
/// Bounded and self-checking: past `budget` bytes of keys and entries it starts afresh, and where fewer than one
/// line in five of a window of 65,536 was found (a file whose descriptions hardly repeat) it empties itself and
/// sits out a number of batches, doubling each time the file still does not repeat, so such a file pays for the
/// memo on a small share of its lines and memory stays flat.
struct EvidenceMemo {
    /// Slots per thread, by default. A slot is 32 bytes (4 MiB in all); each filled one holds its key (the four
    /// fields) and what they gave.
    static let defaultSlots = 1 << 17
    /// Bytes of keys and entries per thread, by default, before the memo starts afresh.
    static let defaultBudget = 16 << 20
    /// Look-ups per window of the hit-rate check.
    static let window = 65_536
    private let mask: Int
    private let budget: Int
    /// About the bytes the slots' keys and entries hold.
    private var held = 0
    private var windowLookUps = 0
    private var windowHits = 0
    /// Batches left to sit out, and how many the next pause lasts.
    private var pause = 0
    private var nextPause = 16
    /// Whether the memo is used for the batch being screened (see `beginBatch`).
    private(set) var enabled = true
    /// The entry of every slot that holds evidence with nothing on it: such a line needs no entry of its own.
    private let quietEntry = LineScreening.Remembered(.quiet)

    /// One remembered line: the hash and bytes of its four fields, and what they gave. Kept together, so a look-up
    /// touches one slot (and the key's bytes) rather than three tables.
    struct Slot {
        var hash: UInt64 = 0
        var key: [UInt8] = []
        var entry: LineScreening.Remembered?
        /// The entry's `isQuiet`, kept in the slot: the commonest line is then answered without touching its entry
        /// (a cache miss, and a reference count to change).
        var quiet = false
    }

    private var slots: [Slot]
    /// Where the four fields of the line being screened lie in its bytes.
    private var spans = [Range<Int>](repeating: 0..<0, count: 4)
    private var keyHash: UInt64 = 0

    /// `slots` is rounded up to a power of two, at least two (tests use a handful, so that lines overwrite one
    /// another).
    init(slots count: Int = EvidenceMemo.defaultSlots, budget: Int = EvidenceMemo.defaultBudget) {
        let size = max(2, 1 << (Int.bitWidth - (max(count, 1) - 1).leadingZeroBitCount))
        mask = size - 1
        self.budget = budget
        slots = [Slot](repeating: Slot(), count: size)
    }

    /// Starts a batch; says whether the memo is used for it (not while it sits out a pause).
    mutating func beginBatch() -> Bool {
        if pause > 0 {
            pause -= 1
            enabled = false
        } else {
            enabled = true
        }
        return enabled
    }

    /// Forgets everything.
    mutating func clear() {
        for k in slots.indices { slots[k] = Slot() }
        held = 0
    }

    /// Counts a batch's look-ups and hits; at the end of a window, pauses when too few lines were found.
    mutating func count(lookUps: Int, hits: Int) {
        windowLookUps += lookUps
        windowHits += hits
        guard windowLookUps >= Self.window else { return }
        if windowHits * 5 < windowLookUps {
            clear()
            pause = nextPause
            nextPause = min(nextPause * 2, 1024)
        } else {
            nextPause = 16
        }
        windowLookUps = 0
        windowHits = 0
    }

    /// About the bytes one slot's key and entry hold.
    static func cost(_ slot: Slot) -> Int {
        slot.hash == 0 ? 0 : slot.key.count + 64 + (slot.quiet ? 0 : 2048)
    }

    /// The hash of the record's four fields, with where they lie.
    static func key(_ record: DeclarationRecord, _ spans: inout [Range<Int>]) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        record.bytes.withUnsafeBytes { raw in
            for (k, field) in fields.enumerated() {
                let span = record.span(field)
                spans[k] = span
                h = hash(raw, span, h)
            }
        }
        return h | 1
    }

    /// The first of the two slots (ways) where evidence with this hash may be: the newer entry is kept in the first,
    /// the older in the second, and a third pushes the older out.
    @inline(__always)
    func slot(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> 40) & mask & ~1 }

    /// The way of `first…first+1` that holds `hash`, or nil.
    @inline(__always)
    static func way(_ slots: UnsafeBufferPointer<Slot>, _ first: Int, _ hash: UInt64) -> Int? {
        slots[first].hash == hash ? first : slots[first + 1].hash == hash ? first + 1 : nil
    }

    /// Looks up a whole batch: first every record's hash, then every slot, then every stored key. Each step's loads
    /// do not depend on one another, so the processor overlaps their cache misses (a look-up one record at a time
    /// waits for the slot, then for the key, in turn). `quiet[k]` says record `k`'s evidence is known to give
    /// nothing; otherwise `found[k]` is what it gave, or nil. Records whose evidence first appears in this batch get
    /// nil even where an earlier record of the batch has it (`gather` looks those up again).
    mutating func lookUp(
        _ records: [DeclarationRecord], into found: inout [LineScreening.Remembered?], quiet: inout [Bool]
    ) {
        found.removeAll(keepingCapacity: true)
        quiet.removeAll(keepingCapacity: true)
        guard enabled else {
            found.append(contentsOf: repeatElement(nil, count: records.count))
            quiet.append(contentsOf: repeatElement(false, count: records.count))
            return
        }
        batchHashes.removeAll(keepingCapacity: true)
        batchSpans.removeAll(keepingCapacity: true)
        var spans = self.spans
        for record in records {
            batchHashes.append(Self.key(record, &spans))
            batchSpans.append(contentsOf: spans)
        }
        let hits = slots.withUnsafeBufferPointer { slots in
            for h in batchHashes {
                if let index = Self.way(slots, slot(h), h) {
                    let isQuiet = slots[index].quiet
                    quiet.append(isQuiet)
                    found.append(isQuiet ? nil : slots[index].entry)
                } else {
                    quiet.append(false)
                    found.append(nil)
                }
            }
            var hits = 0
            for k in records.indices where quiet[k] || found[k] != nil {
                let index = Self.way(slots, slot(batchHashes[k]), batchHashes[k])!
                if !Self.same(slots[index].key, records[k].bytes, batchSpans[(4 * k)..<(4 * k + 4)]) {
                    found[k] = nil
                    quiet[k] = false
                } else {
                    hits += 1
                }
            }
            return hits
        }
        count(lookUps: records.count, hits: hits)
    }

    private var batchHashes: [UInt64] = []
    private var batchSpans: [Range<Int>] = []

    /// Looks the record's evidence up; remembers where its fields are, so that `store` can file what the line gave.
    mutating func lookUp(_ record: DeclarationRecord) -> LineScreening.Remembered? {
        guard enabled else { return nil }
        keyHash = Self.key(record, &spans)
        let first = slot(keyHash)
        return slots.withUnsafeBufferPointer { slots in
            guard let index = Self.way(slots, first, keyHash), Self.same(slots[index].key, record.bytes, spans) else {
                return nil
            }
            return slots[index].quiet ? quietEntry : slots[index].entry
        }
    }

    /// Files what the line last looked up gave.
    mutating func store(_ remembered: LineScreening.Remembered, _ record: DeclarationRecord) {
        guard enabled else { return }
        if held > budget { clear() }
        let first = slot(keyHash)
        var key: [UInt8] = []
        key.reserveCapacity(spans.reduce(0) { $0 + $1.count } + 4 * 3)
        for span in spans {
            // The length first, so that fields cannot run into one another ("ab" + "c" is not "a" + "bc").
            key.append(UInt8(truncatingIfNeeded: span.count))
            key.append(UInt8(truncatingIfNeeded: span.count >> 8))
            key.append(UInt8(truncatingIfNeeded: span.count >> 16))
            key.append(contentsOf: record.bytes[span])
        }
        // The newer entry goes first; the one it displaces becomes the older, unless it had the same hash.
        if slots[first].hash != keyHash { slots.swapAt(first, first + 1) }
        held -= Self.cost(slots[first])
        // Evidence with nothing on it keeps no entry of its own (most evidence, in most files).
        slots[first] = Slot(
            hash: keyHash, key: key, entry: remembered.isQuiet ? nil : remembered, quiet: remembered.isQuiet)
        held += Self.cost(slots[first])
    }

    /// Whether a stored key holds the same four fields.
    @inline(__always)
    static func same(_ key: [UInt8], _ bytes: [UInt8], _ spans: some Collection<Range<Int>>) -> Bool {
        key.withUnsafeBytes { k in
            bytes.withUnsafeBytes { b in
                var at = 0
                for span in spans {
                    guard at + 3 + span.count <= k.count else { return false }
                    let count = Int(k[at]) | Int(k[at + 1]) << 8 | Int(k[at + 2]) << 16
                    guard count == span.count else { return false }
                    at += 3
                    if count > 0, memcmp(k.baseAddress! + at, b.baseAddress! + span.lowerBound, count) != 0 {
                        return false
                    }
                    at += count
                }
                return at == k.count
            }
        }
    }

    /// The fields the evidence is read from, in key order.
    static let fields: [DeclarationField] = [.hsCode, .description, .casNumber, .species]

    /// Mixes `bytes[span]` and its length into `seed`, eight bytes at a time.
    @inline(__always)
    static func hash(_ raw: UnsafeRawBufferPointer, _ span: Range<Int>, _ seed: UInt64) -> UInt64 {
        var h = (seed ^ UInt64(span.count)) &* 0x9E37_79B9_7F4A_7C15
        var i = span.lowerBound
        let n = span.upperBound
        while i + 8 <= n {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(raw[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }
}
