import Foundation

/// Remembers, per thread, what a line's evidence gave before the shipment rules. Everything `LineScreening.run`
/// decides (candidates, identifier flags, the word context) depends only on four fields: the HS code, the
/// description, the CAS number and the species; so do the merged findings (for each direction) and the code checks.
/// Declaration files repeat those four a great deal (one trader ships the same goods under the same description
/// line after line), so a repeated line skips tokenising, the word tables and the name indexes, and goes straight
/// to the rules that read its own date, direction, countries and permits.
///
/// Direct-mapped by a hash of the four fields; the stored key is compared byte for byte, so a collision costs a
/// recomputation, never a wrong answer. Output does not depend on whether a line was remembered.
struct EvidenceMemo {
    /// Slots per thread. At about 200 bytes a slot (key plus a usually empty entry) this is about 13 MiB.
    static let size = 1 << 16

    /// One remembered line: the hash and bytes of its four fields, and what they gave. Kept together, so a look-up
    /// touches one slot (and the key's bytes) rather than three tables.
    struct Slot {
        var hash: UInt64 = 0
        var key: [UInt8] = []
        var entry: LineScreening.Remembered?
    }

    private var slots: [Slot]
    /// Where the four fields of the line being screened lie in its bytes.
    private var spans = [Range<Int>](repeating: 0..<0, count: 4)
    private var keyHash: UInt64 = 0

    init() {
        slots = [Slot](repeating: Slot(), count: Self.size)
    }

    /// Looks the record's evidence up; remembers where its fields are, so that `store` can file what the line gave.
    mutating func lookUp(_ record: DeclarationRecord) -> LineScreening.Remembered? {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for (k, field) in Self.fields.enumerated() {
            let slice = record.slice(field)
            spans[k] = slice.startIndex..<slice.endIndex
        }
        record.bytes.withUnsafeBytes { raw in
            for span in spans { h = Self.hash(raw, span, h) }
        }
        keyHash = h | 1
        let slot = Int(truncatingIfNeeded: keyHash >> 40) & (Self.size - 1)
        return slots.withUnsafeBufferPointer { slots in
            guard slots[slot].hash == keyHash, Self.same(slots[slot].key, record.bytes, spans) else { return nil }
            return slots[slot].entry
        }
    }

    /// Files what the line last looked up gave.
    mutating func store(_ remembered: LineScreening.Remembered, _ record: DeclarationRecord) {
        let slot = Int(truncatingIfNeeded: keyHash >> 40) & (Self.size - 1)
        var key: [UInt8] = []
        key.reserveCapacity(spans.reduce(0) { $0 + $1.count } + 4 * 3)
        for span in spans {
            // The length first, so that fields cannot run into one another ("ab" + "c" is not "a" + "bc").
            key.append(UInt8(truncatingIfNeeded: span.count))
            key.append(UInt8(truncatingIfNeeded: span.count >> 8))
            key.append(UInt8(truncatingIfNeeded: span.count >> 16))
            key.append(contentsOf: record.bytes[span])
        }
        slots[slot] = Slot(hash: keyHash, key: key, entry: remembered)
    }

    /// Whether a stored key holds the same four fields.
    static func same(_ key: [UInt8], _ bytes: [UInt8], _ spans: [Range<Int>]) -> Bool {
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
