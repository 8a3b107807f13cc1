import Foundation
import GreenCustomsCore
import Screening
import Vapor

/// `/api/v1`: look-up, items and screening for national systems and Single Windows. JSON in and out, bearer tokens,
/// errors as `application/problem+json` (see `OpenAPIDocument` for the contract).
struct APIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let v1 = routes.grouped("api", "v1")
        v1.get("lookup", use: lookup)
        v1.get("items", use: items)
        v1.get("items", ":id", use: item)
        v1.on(.POST, "screenings", body: .collect(maxSize: nil), use: screen)
        v1.get("reference", use: reference)
    }

    /// `GET /api/v1/lookup?q=R-22&limit=10`
    @Sendable func lookup(request: Request) async throws -> Response {
        let q = request.queryValue("q")?.trimmingCharacters(in: Self.blank) ?? ""
        guard !q.isEmpty else { throw Problem.invalid([.init(field: "q", message: "give something to look for")]) }
        guard q.count <= 200 else { throw Problem.invalid([.init(field: "q", message: "at most 200 characters")]) }
        let limit = try Self.integer(request, "limit", default: 10, range: 1...50)
        let response = request.services.reference.lookup.lookup(q, limit: limit)
        return try Self.json(LookupJSON(response))
    }

    /// `GET /api/v1/items?regime=cites&page=1&per_page=50`: every item, in reference order, a page at a time.
    @Sendable func items(request: Request) async throws -> Response {
        let state = request.services.reference
        let regimeText = request.queryValue("regime")
        var regime: Regime?
        if let regimeText {
            guard let r = Regime(rawValue: regimeText) else {
                throw Problem.invalid([
                    .init(
                        field: "regime",
                        message: "one of " + Regime.allCases.map(\.rawValue).joined(separator: ", "))
                ])
            }
            regime = r
        }
        let page = try Self.integer(request, "page", default: 1, range: 1...1_000_000)
        let perPage = try Self.integer(request, "per_page", default: 50, range: 1...200)
        let chosen = regime.map { r in state.set.items.filter { $0.regime == r } } ?? state.set.items
        let start = min((page - 1) * perPage, chosen.count)
        let slice = chosen[start..<min(start + perPage, chosen.count)]
        struct Page: Encodable {
            var items: [LookupJSON.Result]
            var page: Int
            var perPage: Int
            var total: Int
            var referenceVersion: String
            enum CodingKeys: String, CodingKey {
                case items, page, total
                case perPage = "per_page"
                case referenceVersion = "reference_version"
            }
        }
        let response = try Self.json(
            Page(
                items: slice.map { LookupJSON.item($0, in: state.set) }, page: page, perPage: perPage,
                total: chosen.count, referenceVersion: state.set.version))
        // RFC 8288 links to the neighbouring pages.
        var links: [String] = []
        let base = "/api/v1/items?" + (regimeText.map { "regime=\($0)&" } ?? "") + "per_page=\(perPage)&page="
        if start + perPage < chosen.count { links.append("<\(base)\(page + 1)>; rel=\"next\"") }
        if page > 1 { links.append("<\(base)\(page - 1)>; rel=\"prev\"") }
        if !links.isEmpty { response.headers.replaceOrAdd(name: .link, value: links.joined(separator: ", ")) }
        response.headers.replaceOrAdd(name: "X-Total-Count", value: String(chosen.count))
        return response
    }

    /// `GET /api/v1/items/{id}`
    @Sendable func item(request: Request) async throws -> Response {
        let id = request.parameters.get("id") ?? ""
        let state = request.services.reference
        guard let item = state.item(id: id) else {
            throw Problem(status: .notFound, detail: "No item has the id \"\(id)\".", instance: request.url.path)
        }
        return try Self.json(LookupJSON.item(item, in: state.set))
    }

    /// `GET /api/v1/reference`: the reference version and counts per regime.
    @Sendable func reference(request: Request) async throws -> Response {
        let set = request.services.reference.set
        var counts: [String: Int] = [:]
        for item in set.items { counts[item.regime.rawValue, default: 0] += 1 }
        struct Info: Encodable {
            var version: String
            var items: Int
            var itemsByRegime: [String: Int]
            var countries: Int
            enum CodingKeys: String, CodingKey {
                case version, items, countries
                case itemsByRegime = "items_by_regime"
            }
        }
        return try Self.json(
            Info(version: set.version, items: set.items.count, itemsByRegime: counts, countries: set.countries.count))
    }

    /// `POST /api/v1/screenings` with `{"lines": [{declaration fields}…]}` → `{"results": […]}`, each result the
    /// same object as a line of `greencustoms screen --format jsonl`.
    ///
    /// A small request (a few lines) is screened at once on its event loop: it takes microseconds, and an async
    /// handler would add two thread hops to each request. A bigger one goes to the thread pool, so that it does not
    /// hold up the other connections of its event loop.
    @Sendable func screen(request: Request) throws -> EventLoopFuture<Response> {
        let account = try request.require(.screen)
        let services = request.services
        let settings = services.settings
        guard let body = request.body.data, body.readableBytes > 0 else {
            throw Problem.invalid([.init(field: "body", message: #"send {"lines": [ … ]}"#)])
        }
        // Also checked while the body streams in; this holds for bodies that arrive whole.
        guard body.readableBytes <= settings.maximumBodyBytes else { throw Abort(.payloadTooLarge) }
        let respond: @Sendable () throws -> Response = {
            try Self.screen(body, account: account, services: services, request: request)
        }
        guard body.readableBytes > Self.inlineScreeningBytes else {
            return request.eventLoop.makeCompletedFuture(Result(catching: respond))
        }
        return request.application.threadPool.runIfActive(eventLoop: request.eventLoop, respond)
    }

    /// The largest screening request screened on the event loop (about 30 lines).
    static let inlineScreeningBytes = 8 << 10

    static func screen(_ body: ByteBuffer, account: UserAccount, services: WebServices, request: Request) throws
        -> Response
    {
        let bytes = Array(body.readableBytesView)
        let maximum = services.settings.maximumLinesPerRequest
        let (input, count) =
            try ScreeningRequest.plainInput(bytes, maximum: maximum)
            ?? ScreeningRequest.input(ScreeningRequest.lines(from: Data(bytes), maximum: maximum))
        let engine = services.reference.engine
        let outcome = ScreeningRequest.run(input, engine: engine)
        if !outcome.errors.isEmpty {
            throw Problem.invalid(
                outcome.errors.map { .init(field: "lines[\($0.lineNumber - 1)]", message: $0.message) },
                detail: "\(outcome.errors.count) of \(count) lines cannot be screened; nothing was screened.")
        }
        services.recorder.countScreening(
            actor: account.name, address: request.clientAddress, summary: outcome.summary)
        // The JSON Lines, one object per line, become the elements of the array: written straight into the
        // response's buffer, each line break but the last turned into a comma.
        var results = outcome.jsonLines
        if results.last == UInt8(ascii: "\n") { results.removeLast() }
        var body = ByteBufferAllocator().buffer(capacity: results.count + 96)
        body.writeStaticString(#"{"results":["#)
        let start = body.writerIndex - body.readerIndex
        body.writeBytes(results)
        body.withUnsafeMutableReadableBytes { bytes in
            for i in start..<bytes.count where bytes[i] == UInt8(ascii: "\n") { bytes[i] = UInt8(ascii: ",") }
        }
        body.writeStaticString(#"],"reference_version":"#)
        var version: [UInt8] = []
        ScreeningRequest.appendString(engine.referenceVersion, to: &version)
        body.writeBytes(version)
        body.writeStaticString("}")
        return Response(status: .ok, headers: Self.jsonHeaders, body: .init(buffer: body))
    }

    /// What a query may not consist of alone: Unicode white space and the byte-order mark (the OpenAPI document's
    /// pattern `[^\s\u0085]` says the same in ECMAScript's terms).
    static let blank = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: "\u{FEFF}"))

    static let jsonHeaders: HTTPHeaders = {
        var headers = HTTPHeaders()
        headers.contentType = .json
        return headers
    }()

    static func integer(_ request: Request, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.queryValue(name) else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw Problem.invalid([
                .init(field: name, message: "a whole number from \(range.lowerBound) to \(range.upperBound)")
            ])
        }
        return n
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: .ok, headers: headers, body: .init(data: try encoder.encode(value)))
    }
}

/// Declaration lines sent as JSON, screened with the same reader and engine as a file.
enum ScreeningRequest {
    /// The `lines` array of a request body, each line re-encoded as one line of JSON Lines. Throws a `Problem`
    /// naming the field at fault.
    static func lines(from body: Data, maximum: Int) throws -> [Data] {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) } catch {
            throw Problem.invalid([.init(field: "body", message: "not valid JSON")])
        }
        guard let dictionary = object as? [String: Any] else {
            throw Problem.invalid([.init(field: "body", message: #"expected an object: {"lines": [ … ]}"#)])
        }
        guard let lines = dictionary["lines"] as? [Any] else {
            throw Problem.invalid([.init(field: "lines", message: "an array of declaration lines is required")])
        }
        guard !lines.isEmpty else { throw Problem.invalid([.init(field: "lines", message: "is empty")]) }
        guard lines.count <= maximum else {
            throw Problem.invalid([
                .init(field: "lines", message: "at most \(maximum) lines per request; send a file to the web page")
            ])
        }
        var out: [Data] = []
        var errors: [Problem.FieldError] = []
        for (n, line) in lines.enumerated() {
            guard let fields = line as? [String: Any] else {
                errors.append(.init(field: "lines[\(n)]", message: "expected an object of declaration fields"))
                continue
            }
            for key in fields.keys.sorted() {
                if let problem = Self.valueProblem(key: key, fields[key]!) {
                    errors.append(.init(field: "lines[\(n)].\(key)", message: problem))
                }
            }
            out.append(Data(jsonLine(fields)))
        }
        if !errors.isEmpty { throw Problem.invalid(errors) }
        return out
    }

    /// Fields whose value may be a number as well as a string (a system that sends ids, HS codes or quantities as
    /// numbers is understood); every other field is a string or null.
    static let numericFields: Set<String> = ["line_id", "hs_code", "quantity"]

    /// Why a line's value cannot be taken, or nil. Booleans are refused everywhere: `true` is not an id or a code.
    static func valueProblem(key: String, _ value: Any) -> String? {
        // Keys the reader does not know are ignored, whatever their values (the API takes a system's whole record).
        guard DeclarationField(utf8Name: key.utf8) != nil else { return nil }
        if value is String || value is NSNull { return nil }
        if let number = value as? NSNumber {
            // JSONSerialization gives booleans as NSNumbers of type "c" (char); JSON numbers are integers or doubles.
            if String(cString: number.objCType) == "c" { return "expected a string, not true or false" }
            return numericFields.contains(key) ? nil : "expected a string"
        }
        return numericFields.contains(key) ? "expected a string or a number" : "expected a string"
    }

    /// Lines (one JSON object each) as JSON Lines, with how many there are.
    static func input(_ lines: [Data]) -> (input: [UInt8], count: Int) {
        var input: [UInt8] = []
        for line in lines {
            input += line
            input.append(UInt8(ascii: "\n"))
        }
        return (input, lines.count)
    }

    /// The usual request, `{"lines": [{"key": "text" or null, …}, …]}`, as JSON Lines without building any object:
    /// each line's object, checked here to be well formed, is one line as it was sent (the reader then reads it as
    /// it reads a file's line). Parsing the whole body into Foundation objects and writing each line again cost a
    /// request more than screening its line.
    ///
    /// Nil for anything else: numbers, booleans, nested values, `\u` escapes, a key repeated in a line, another key
    /// beside `lines`, no lines or too many, JSON that is not valid. `lines(from:maximum:)` then reads the body in
    /// full, and explains what is wrong with it, as before.
    static func plainInput(_ b: [UInt8], maximum: Int) -> (input: [UInt8], count: Int)? {
        guard String(validating: b, as: UTF8.self) != nil else { return nil }
        var i = 0
        func space() {
            while i < b.count, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        }
        func take(_ byte: UInt8) -> Bool {
            space()
            guard i < b.count, b[i] == byte else { return false }
            i += 1
            return true
        }
        /// A string's content (between the quotes), or nil: simple escapes only, no control characters.
        func string() -> Range<Int>? {
            space()
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "\""):
                    i += 1
                    return start..<(i - 1)
                case UInt8(ascii: "\\"):
                    guard i + 1 < b.count, simpleEscapes.contains(b[i + 1]) else { return nil }
                    i += 2
                case 0..<0x20: return nil
                default: i += 1
                }
            }
            return nil
        }
        guard take(UInt8(ascii: "{")), let key = string(), b[key].elementsEqual("lines".utf8),
            take(UInt8(ascii: ":")), take(UInt8(ascii: "["))
        else { return nil }
        var input: [UInt8] = []
        input.reserveCapacity(b.count)
        var count = 0
        if !take(UInt8(ascii: "]")) {
            repeat {
                space()
                let start = i
                guard take(UInt8(ascii: "{")) else { return nil }
                var keys: [Range<Int>] = []
                if !take(UInt8(ascii: "}")) {
                    repeat {
                        guard let key = string(), !b[key].contains(UInt8(ascii: "\\")),
                            !keys.contains(where: { b[$0].elementsEqual(b[key]) }), take(UInt8(ascii: ":"))
                        else { return nil }
                        keys.append(key)
                        space()
                        if i + 4 <= b.count, b[i..<(i + 4)].elementsEqual("null".utf8) {
                            i += 4
                        } else if string() == nil {
                            return nil
                        }
                    } while take(UInt8(ascii: ","))
                    guard take(UInt8(ascii: "}")) else { return nil }
                }
                // One line each: a line break between the tokens of an object is sent as the space it means.
                for byte in b[start..<i] { input.append(byte == 0x0A || byte == 0x0D ? 0x20 : byte) }
                input.append(UInt8(ascii: "\n"))
                count += 1
                guard count <= maximum else { return nil }
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return nil }
        }
        guard count > 0, take(UInt8(ascii: "}")) else { return nil }
        space()
        return i == b.count ? (input, count) : nil
    }

    /// The escapes `plainInput` lets through: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`.
    static let simpleEscapes: [UInt8] = Array(#""\/bfnrt"#.utf8)

    /// One line of JSON Lines from a line's fields (strings, numbers, nulls), keys sorted. Written by hand: the
    /// values are flat, and Foundation's general encoder was a tenth of a request's time.
    static func jsonLine(_ fields: [String: Any]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (n, key) in fields.keys.sorted().enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch fields[key] {
            case let text as String: appendString(text, to: &out)
            case let number as NSNumber: out += Array(number.stringValue.utf8)
            default: out += Array("null".utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    struct Outcome {
        var jsonLines: [UInt8]
        var errors: [DeclarationError]
        var summary: ScreeningSummary
    }

    /// Screens the lines on this thread (a request is small; the server's other threads serve other requests),
    /// with the same reader and engine as a file and the same JSON Lines writer.
    static func run(_ input: [UInt8], engine: ScreeningEngine) -> Outcome {
        var output: [UInt8] = []
        // A red line's result is about 3 KB: room for it (and more as lines come) without growing step by step.
        output.reserveCapacity(4096)
        var errors: [DeclarationError] = []
        var summary = ScreeningSummary()
        var reader = DeclarationReader(source: MemorySource(input), format: .jsonl)
        engine.withSpareScratch { scratch in
            do throws(InputError) {
                while true {
                    let batch = try reader.next(maximum: 1024)
                    if batch.isEmpty { break }
                    errors += batch.errors
                    for record in batch.records {
                        let result = engine.screen(record, scratch: &scratch)
                        summary.lines += 1
                        summary.lanes[result.lane, default: 0] += 1
                        ResultFormat.jsonl.write(result, into: &output)
                    }
                }
            } catch {
                errors.append(DeclarationError(lineNumber: 1, message: error.description))
            }
        }
        return Outcome(jsonLines: output, errors: errors, summary: summary)
    }
}

extension ScreeningSummary {
    /// "green 3, yellow 1, red 0"
    var laneText: String {
        Lane.allCases.map { "\($0.rawValue) \(lanes[$0] ?? 0)" }.joined(separator: ", ")
    }
}
