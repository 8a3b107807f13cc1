import GreenCustomsCore
import GreenCustomsTestSupport
import Testing

@testable import Screening

/// The engine's shortcuts give what the plain ways of working them out give: the eight-bytes-at-a-time escape scan,
/// the merge of two candidates with bit sets, and the places of lanes, certainties, fields and directions.
@Suite("Engine shortcuts")
struct EngineShortcutTests {
    static func plainNeedsEscaping(_ bytes: [UInt8]) -> Bool {
        bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }
    }

    @Test("The escape scan finds every byte value that needs escaping at every place, and no other")
    func escapeScan() {
        for length in 0...40 {
            let plain = [UInt8](repeating: UInt8(ascii: "a"), count: length)
            #expect(plain.withUnsafeBufferPointer { ResultWriter.needsEscaping($0) } == false)
            for position in 0..<length {
                for value in 0...255 {
                    var bytes = plain
                    bytes[position] = UInt8(value)
                    let expected = Self.plainNeedsEscaping(bytes)
                    let found = bytes.withUnsafeBufferPointer { ResultWriter.needsEscaping($0) }
                    if found != expected {
                        Issue.record("byte \(value) at \(position) of \(length): \(found), expected \(expected)")
                        return
                    }
                }
            }
        }
        // Neighbours that could carry a borrow into the next byte: 0x00 and 0x01 before every value, and UTF-8.
        for value in 0...255 {
            for lead: UInt8 in [0x00, 0x01, 0x20, 0x21, 0x5B, 0x5D, 0x80, 0xFF] {
                let bytes: [UInt8] = [0x61, 0x61, 0x61, lead, UInt8(value), 0x61, 0x61, 0x61, 0x61]
                #expect(
                    bytes.withUnsafeBufferPointer { ResultWriter.needsEscaping($0) }
                        == Self.plainNeedsEscaping(bytes), "\(lead) then \(value)")
            }
        }
        let text = Array("Éléphant 象 🐘, Annex C, Group I (in force 1994-06-14)".utf8)
        #expect(text.withUnsafeBufferPointer { ResultWriter.needsEscaping($0) } == false)
    }

    /// The merge as it was written first: a set of the corroborating fields, sorted by name.
    static func plainMerge(_ existing: LineScreening.Candidate, _ c: LineScreening.Candidate)
        -> LineScreening.Candidate
    {
        let stronger = LineScreening.strength(c) > LineScreening.strength(existing)
        var kept = stronger ? c : existing
        let other = stronger ? existing : c
        kept.corroboratedBy = Array(Set(existing.corroboratedBy + c.corroboratedBy)).sorted {
            $0.rawValue < $1.rawValue
        }
        if other.basis != kept.basis, !kept.corroboratedBy.contains(other.basis) {
            kept.corroboratedBy.append(other.basis)
            if kept.certainty == .likely && other.certainty >= .likely { kept.certainty = .certain }
        }
        kept.corroboratedBy.removeAll { $0 == kept.basis }
        return kept
    }

    @Test("Merging two candidates for one item gives what the set-based merge gives, for every combination")
    func mergeAgrees() {
        let subsets: [[Basis]] = (0..<16).map { mask in
            Basis.allCases.enumerated().filter { mask >> $0.0 & 1 == 1 }.map(\.1)
        }
        var compared = 0
        for basisA in Basis.allCases {
            for basisB in Basis.allCases {
                for certaintyA in Certainty.allCases {
                    for certaintyB in Certainty.allCases {
                        for (k, corroboratedA) in subsets.enumerated() where k % 3 == 0 || k == 15 {
                            for corroboratedB in subsets {
                                for viaB: Int32 in [-1, 4] {
                                    let a = LineScreening.Candidate(
                                        key: 7, certainty: certaintyA, basis: basisA, match: .name, start: 0, end: 4,
                                        explanation: nil, corroboratedBy: corroboratedA.shuffled())
                                    let b = LineScreening.Candidate(
                                        key: 7, certainty: certaintyB, basis: basisB, match: .tradeName, start: 5,
                                        end: 9, explanation: "b", via: viaB, corroboratedBy: corroboratedB.reversed())
                                    let fast = LineScreening.merge(a, b)
                                    let plain = Self.plainMerge(a, b)
                                    #expect(fast.corroboratedBy == plain.corroboratedBy)
                                    #expect(fast.certainty == plain.certainty)
                                    #expect(fast.basis == plain.basis && fast.start == plain.start)
                                    #expect(fast.via == plain.via && fast.explanation == plain.explanation)
                                    compared += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(compared == 4 * 4 * 3 * 3 * 6 * 16 * 2)
    }

    static let engine = ScreeningEngine(reference: Fixtures.bundled.set)

    /// Merged candidates as they were first worked out: a dictionary by item, sorted on the same keys.
    static func plainMerged(_ line: LineScreening) -> [LineScreening.Candidate] {
        var byKey: [Int32: LineScreening.Candidate] = [:]
        var order: [Int32] = []
        for c in line.candidates {
            guard let existing = byKey[c.key] else {
                byKey[c.key] = c
                order.append(c.key)
                continue
            }
            byKey[c.key] = plainMerge(existing, c)
        }
        return order.map { byKey[$0]! }.sorted { a, b in
            if a.certainty != b.certainty { return a.certainty > b.certainty }
            if line.regime(a) != line.regime(b) { return line.regime(a) < line.regime(b) }
            if a.via != b.via { return a.via < b.via }
            return line.id(a) < line.id(b)
        }
    }

    @Test("Merged candidates are the dictionary-based merge's, for short lists (searched) and long ones (hashed)")
    func mergedCandidatesAgree() throws {
        let record = DeclarationRecord(lineNumber: 2, fields: [.lineID: "L1", .description: "refrigerant gas R-22"])
        var random = SplitMix64(seed: 7)
        let itemCount = Int32(Self.engine.itemIDs.count)
        for count in [0, 1, 2, 5, 12, 24, 25, 60, 200] {
            var line = LineScreening(engine: Self.engine, record: record)
            let keys = (0..<max(1, count / 3)).map { _ in Int32(random.next() % UInt64(itemCount)) }
            for _ in 0..<count {
                let pick = Int(random.next() % UInt64(keys.count))
                line.candidates.append(
                    LineScreening.Candidate(
                        key: keys[pick], certainty: Certainty.allCases[Int(random.next() % 3)],
                        basis: Basis.allCases[Int(random.next() % 4)], match: .name, start: 0, end: 3,
                        explanation: nil, via: random.next() % 4 == 0 ? keys[0] : -1,
                        corroboratedBy: Basis.allCases.filter { _ in random.next() % 3 == 0 }))
            }
            let fast = line.mergedCandidates()
            let plain = Self.plainMerged(line)
            #expect(fast.map(\.key) == plain.map(\.key), "\(count) candidates")
            #expect(fast.map(\.corroboratedBy) == plain.map(\.corroboratedBy), "\(count) candidates")
            #expect(fast.map(\.certainty) == plain.map(\.certainty), "\(count) candidates")
            #expect(fast.map(\.basis) == plain.map(\.basis), "\(count) candidates")
        }
    }

    @Test("Ranks and slots are the places in allCases")
    func places() {
        for (k, lane) in Lane.allCases.enumerated() { #expect(lane.rank == k) }
        for (k, certainty) in Certainty.allCases.enumerated() { #expect(certainty.rank == k) }
        for (k, basis) in Basis.allCases.enumerated() {
            #expect(basis.index == k)
            #expect(basis.bit == 1 << k)
        }
        #expect(Basis.byName.map(\.rawValue) == Basis.allCases.map(\.rawValue).sorted())
        for (k, direction) in Direction.allCases.enumerated() { #expect(LineScreening.slot(direction) == k) }
        #expect(LineScreening.slot(nil) == Direction.allCases.count)
        #expect(Lane.green < .yellow && Lane.yellow < .red && !(Lane.red < .red))
        #expect(Certainty.possible < .likely && Certainty.likely < .certain && !(Certainty.certain < .likely))
    }
}
