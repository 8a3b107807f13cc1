import Foundation
import GreenCustomsCore
import ReferenceData
import Storage
import Vapor

/// `/reference`: which lists are in use (datasets, versions, counts per agreement, the sources they cite), and for the
/// secretariat and admins, uploading a new CITES export.
struct ReferenceController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("reference", use: page)
        routes.upload("reference", "cites", limit: 64 << 20, use: importCITES)
    }

    struct Context: Encodable {
        struct Dataset: Encodable {
            var kind: String
            var version: String
            var sourceFile: String
            var records: String
            var importedAt: String
            var active: Bool
        }
        struct Regime: Encodable {
            var id: String
            var title: String
            var items: String
            var controlled: String
            var sources: [Source]
        }
        struct Source: Encodable {
            var text: String
            var items: Int
        }
        var version: String
        var datasets: [Dataset]
        var regimes: [Regime]
        var mayImport: Bool
        var message: String?
        var error: String?
    }

    @Sendable func page(request: Request) async throws -> View {
        try await render(request, message: nil, error: nil)
    }

    func render(_ request: Request, message: String?, error: String?, status: HTTPResponseStatus = .ok) async throws
        -> View
    {
        let services = request.services
        let set = services.reference.set
        let mayImport = request.caller?.account.role.may(.importReference) ?? false
        let datasets = try await ReferenceStore(storage: services.storage).datasets().map {
            Context.Dataset(
                kind: $0.kind, version: $0.version, sourceFile: $0.sourceFile, records: request.number($0.recordCount),
                importedAt: request.dateTime($0.importedAt), active: $0.active)
        }
        var regimes: [Context.Regime] = []
        for regime in GreenCustomsCore.Regime.allCases {
            let items = set.items.filter { $0.regime == regime }
            var bySource: [String: Int] = [:]
            for item in items { bySource[item.source, default: 0] += 1 }
            let sources = bySource.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(8).map {
                Context.Source(text: $0.key, items: $0.value)
            }
            regimes.append(
                Context.Regime(
                    id: regime.rawValue, title: request.regimeTitle(regime), items: request.number(items.count),
                    controlled: request.number(items.filter(\.controlled).count),
                    sources: Array(sources)))
        }
        return try await request.page(
            "reference", title: request.t("reference_title"), form: mayImport,
            Context(
                version: set.version, datasets: datasets, regimes: regimes, mayImport: mayImport, message: message,
                error: error))
    }

    /// `POST /reference/cites` (multipart, field `file`): validates the whole export, stores it as a new dataset in
    /// one transaction, rebuilds the indexes and swaps them in. Nothing is stored when any record is invalid.
    @Sendable func importCITES(request: Request) async throws -> Response {
        guard request.caller != nil else { return request.redirect(to: "/sign-in?next=/reference") }
        let account = try request.require(.importReference)
        struct Form: Decodable { var file: File? }
        guard let file = try request.content.decode(Form.self).file, file.data.readableBytes > 0 else {
            return try await render(request, message: nil, error: request.t("choose_file"))
                .encodeResponse(status: .unprocessableEntity, for: request)
        }
        let bytes = Array(buffer: file.data)
        let name = String(file.filename.prefix(200))
        // Parsing and validating tens of thousands of taxa is CPU work: off the event loop.
        let outcome: Result<CITESSpeciesPlusImporter.Result, ImportProblem> = try await request.application.threadPool
            .runIfActive(eventLoop: request.eventLoop) {
                do {
                    let result = try CITESSpeciesPlusImporter().read(bytes: bytes, name: name)
                    let issues = ReferenceValidator.check(items: result.items, origin: name, lines: result.lines)
                    if !issues.isEmpty {
                        return .failure(
                            ImportProblem(
                                message: issues.prefix(10).map(\.description).joined(separator: "\n")
                                    + "\n\(issues.count) problem(s); nothing was imported."))
                    }
                    return .success(result)
                } catch let error as ImportError {
                    return .failure(ImportProblem(message: error.description + "\nNothing was imported."))
                } catch {
                    return .failure(ImportProblem(message: "\(error)\nNothing was imported."))
                }
            }.get()
        switch outcome {
        case .failure(let problem):
            request.services.record(
                AuditEvent(
                    at: Date(), actor: account.name, action: .referenceImport, target: name,
                    detail: "refused: " + String(problem.message.prefix(300)), address: request.clientAddress),
                logger: request.logger)
            return try await render(request, message: nil, error: problem.message)
                .encodeResponse(status: .unprocessableEntity, for: request)
        case .success(let result):
            let info = try await ReferenceStore(storage: request.services.storage).importItems(
                result.items, kind: "cites-speciesplus", version: result.version, sourceFile: name)
            try await request.services.reloadReference()
            request.services.record(
                AuditEvent(
                    at: Date(), actor: account.name, action: .referenceImport, target: name,
                    detail: "\(info.recordCount) taxa as \(info.version)", address: request.clientAddress),
                logger: request.logger)
            return try await render(
                request,
                message: request.t(
                    "import_done", ["count": request.number(info.recordCount), "version": info.version]),
                error: nil
            ).encodeResponse(for: request)
        }
    }

    struct ImportProblem: Error {
        var message: String
    }
}
