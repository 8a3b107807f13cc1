import Foundation
import GreenCustomsTestSupport
import Testing

@testable import ReferenceData

/// The Species+ importer (and the gzip reader in front of it) on damaged and hostile variants of the corpus in
/// `Tests/Fuzz/Corpus/speciesplus`: each variant is either read whole, with every taxon valid enough to store, or
/// refused with the file, a line and a reason. Nothing traps.
@Suite("Species+ import fuzzing")
struct SpeciesPlusFuzzTests {
    @Test("Mutated exports are read or refused with a line and a reason; mutated gzip is refused, never trusted")
    func mutatedExports() {
        let corpus = Mutator.corpus("speciesplus")
        #expect(!corpus.isEmpty, "the corpus is in Tests/Fuzz/Corpus/speciesplus")
        var mutator = Mutator(seed: 17)
        var read = 0
        var refused = 0
        for round in 0..<2_000 {
            let seed = corpus[round % corpus.count]
            let input = mutator.mutate(seed.bytes)
            do {
                let result = try CITESSpeciesPlusImporter().read(bytes: input, name: seed.name)
                #expect(result.items.count == result.lines.count)
                #expect(result.items.allSatisfy { $0.id.hasPrefix("cites:") && !$0.names.preferred.isEmpty })
                read += 1
            } catch {
                #expect(error.file == seed.name && !error.message.isEmpty, "round \(round): \(error)")
                refused += 1
            }
        }
        #expect(read > 0 && refused > 0, "read \(read), refused \(refused)")
        // gzip: any damage is caught by the format or its CRC-32 (or, rarely, gives other bytes that then parse).
        let gzip = CompressedImportTests.exportGzip
        for _ in 0..<300 {
            let damaged = mutator.mutate(gzip)
            _ = try? Gzip.decompress(damaged, limit: 1 << 20)
        }
    }
}
