import Foundation
import MultipartKit
import Vapor

/// A `multipart/form-data` body read part by part while it arrives (MultipartKit's streaming parser over the request's
/// body stream), so that a 256 MiB upload is never held whole: the caller sees each part's name, then its bytes in
/// pieces, then its end. Browsers send a form's fields in page order, so a form whose first field is `_csrf` is
/// checked before a byte of its file is kept.
final class MultipartFormStream {
    enum Event: Equatable {
        /// A part begins: its field name and, for a file, the file's name.
        case part(name: String, filename: String?)
        case bytes([UInt8])
        /// The part ended.
        case end
    }

    private let parser: MultipartParser
    private var body: Request.Body.AsyncIterator
    private var events: [Event] = []
    private var next = 0
    private var headers: [(String, String)] = []
    private var inPart = false
    private var finished = false

    /// Nil when the request is not `multipart/form-data` with a boundary.
    init?(_ request: Request) {
        guard let type = request.headers.contentType, type.type == "multipart", type.subType == "form-data",
            let boundary = type.parameters["boundary"], !boundary.isEmpty
        else { return nil }
        parser = MultipartParser(boundary: boundary)
        body = request.body.makeAsyncIterator()
        parser.onHeader = { [unowned self] name, value in headers.append((name, value)) }
        parser.onBody = { [unowned self] buffer in
            beginPartIfNeeded()
            events.append(.bytes(Array(buffer.readableBytesView)))
        }
        parser.onPartComplete = { [unowned self] in
            beginPartIfNeeded()
            events.append(.end)
            inPart = false
        }
    }

    private func beginPartIfNeeded() {
        guard !inPart else { return }
        inPart = true
        let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
        headers = []
        events.append(
            .part(
                name: Self.parameter("name", in: disposition) ?? "",
                filename: Self.parameter("filename", in: disposition)))
    }

    /// The next event, or nil at the end of the body.
    func nextEvent() async throws -> Event? {
        while next == events.count {
            events.removeAll(keepingCapacity: true)
            next = 0
            guard !finished, let buffer = try await body.next() else {
                finished = true
                return nil
            }
            do { try parser.execute(buffer) } catch {
                throw Abort(.badRequest, reason: "the form's multipart body is malformed")
            }
        }
        defer { next += 1 }
        return events[next]
    }

    /// A quoted or bare parameter of a `Content-Disposition` value (`name="file"; filename="lines.csv"`).
    static func parameter(_ key: String, in value: String) -> String? {
        for piece in value.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            var text = pair[1]
            if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = String(text.dropFirst().dropLast()) }
            return text.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }
}
