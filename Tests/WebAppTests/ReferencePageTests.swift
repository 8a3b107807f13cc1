import Foundation
import GreenCustomsCore
import Testing
import VaporTesting

@testable import WebApp

@Suite("Reference data page")
struct ReferencePageTests {
    static let export = """
        TaxonId,Kingdom,Phylum,Class,Order,Family,Genus,Species,Subspecies,FullName,AuthorYear,RankName,CurrentListing,FullAnnotationEnglish,SynonymsWithAuthors,EnglishNames,SpanishNames,FrenchNames
        90001,Animalia,Chordata,Reptilia,Squamata,Testidae,Testosaurus,webensis,,Testosaurus webensis,"(Test, 2024)",SPECIES,I,,,"Web test lizard",,

        """

    @Test("Anyone sees the versions and counts; only the secretariat and admins see the import form")
    func page() async throws {
        try await WebHarness.run { web in
            let anonymous = try await web.send(.GET, "/reference")
            #expect(anonymous.status == .ok)
            #expect(anonymous.body.string.contains(web.services.reference.set.version))
            #expect(!anonymous.body.string.contains(#"action="/reference/cites""#))
            for role in [Role.officer, .secretariat] {
                try await web.account("user-\(role.rawValue)", role: role)
                let browser = WebHarness.Browser(web)
                try await browser.signIn("user-\(role.rawValue)")
                let page = try await browser.get("/reference")
                #expect(page.body.string.contains(#"action="/reference/cites""#) == role.may(.importReference))
            }
        }
    }

    @Test("An import by the secretariat is validated, stored, audited and used at once; an officer's is refused")
    func importExport() async throws {
        try await WebHarness.run { web in
            try await web.account("officer1", role: .officer)
            let officer = WebHarness.Browser(web)
            try await officer.signIn("officer1")
            _ = try await officer.get("/")
            let refused = try await officer.postFile(
                "/reference/cites", field: "file", filename: "export.csv", content: Array(Self.export.utf8))
            #expect(refused.status == .forbidden)

            try await web.account("sec1", role: .secretariat)
            let secretariat = WebHarness.Browser(web)
            try await secretariat.signIn("sec1")
            _ = try await secretariat.get("/reference")
            let broken = try await secretariat.postFile(
                "/reference/cites", field: "file", filename: "broken.csv",
                content: Array("TaxonId,FullName\n1,Abc\n".utf8))
            #expect(broken.status == .unprocessableEntity)
            #expect(
                broken.body.string.contains("nothing was imported")
                    || broken.body.string.contains("Nothing was imported"))
            #expect(web.services.reference.lookup.lookup("Testosaurus webensis", limit: 1).results.isEmpty)

            let imported = try await secretariat.postFile(
                "/reference/cites", field: "file", filename: "Index_of_CITES_Species_2026-11-01.csv",
                content: Array(Self.export.utf8))
            #expect(imported.status == .ok)
            #expect(imported.body.string.contains("Imported 1 CITES taxa"))
            let found = web.services.reference.lookup.lookup("Testosaurus webensis", limit: 1).results.first
            #expect(found?.item?.id == "cites:testosaurus-webensis")
            #expect(web.services.reference.set.version.contains("cites-speciesplus-2026-11-01"))
            let log = await web.services.auditLog()
            #expect(try await log.count(actor: "sec1", action: .referenceImport) == 2)
            #expect(try await log.count(actor: "officer1", action: .accessDenied) == 1)
        }
    }
}
