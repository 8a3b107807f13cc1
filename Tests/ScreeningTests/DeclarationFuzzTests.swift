import Foundation
import GreenCustomsTestSupport
import Testing

@testable import Screening

/// The declaration reader, the chunker and the engine on damaged and hostile variants of the corpus in
/// `Tests/Fuzz/Corpus/declarations`: nothing traps, every line is a record or an error with its line number, and a
/// file cut into parts reads exactly as the whole file.
@Suite("Declaration fuzzing")
struct DeclarationFuzzTests {
    static let rounds = 2_000

    @Test("Mutated files: no trap, line numbers in order, parts read as the whole, every record screened")
    func mutatedFiles() throws {
        let corpus = Mutator.corpus("declarations")
        #expect(corpus.count >= 3, "the corpus is in Tests/Fuzz/Corpus/declarations")
        let engine = ScreeningEngine(reference: Fixtures.bundled.set)
        var scratch = ScreeningEngine.Scratch(remembering: false)
        var mutator = Mutator(seed: 2026_12_03)
        var inputs = 0
        var records = 0
        for round in 0..<Self.rounds {
            let seed = corpus[round % corpus.count]
            let other = corpus[(round / corpus.count) % corpus.count].bytes
            let input = mutator.mutate(seed.bytes, splicing: other)
            inputs += 1
            var whole = DeclarationReader(source: MemorySource(input))
            let expected: [String]
            do { expected = try DeclarationChunkerTests.read(&whole) } catch {
                // The file as a whole is unusable: the chunker refuses it too.
                var chunker = DeclarationChunker(target: 64)
                #expect(throws: InputError.self, "round \(round) of \(seed.name)") {
                    _ = try chunker.append(input)
                    _ = try chunker.finish()
                }
                continue
            }
            let numbers = expected.compactMap { Int($0.prefix { $0 != " " }) }
            #expect(numbers == numbers.sorted(), "round \(round) of \(seed.name): line numbers out of order")
            var random = SplitMix64(seed: UInt64(round))
            let (parts, _) = try DeclarationChunkerTests.readInParts(input, target: 1 + round % 200, random: &random)
            #expect(parts == expected, "round \(round) of \(seed.name): parts differ from the whole")
            var reader = DeclarationReader(source: MemorySource(input))
            while true {
                let batch = try reader.next(maximum: 512)
                if batch.isEmpty { break }
                for record in batch.records {
                    let result = engine.screen(record, scratch: &scratch)
                    #expect(result.lineNumber == record.lineNumber)
                    records += 1
                }
            }
        }
        #expect(inputs == Self.rounds && records > 0)
    }
}
