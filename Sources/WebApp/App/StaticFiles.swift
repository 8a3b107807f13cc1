import Foundation
import Vapor

/// The files in `Public/` (the style sheet and the script), read into memory once and served from there.
///
/// Pages link them with their content's digest (`/style.css?v=1a2b3c4d5e6f`): a browser that has a version keeps
/// it for a year and never asks again, which matters on a weak connection, and a new release changes the link. A
/// request without the current version gets the file with `no-cache` and an ETag, so it is checked but not sent again
/// while unchanged (304).
///
/// This replaces Vapor's `FileMiddleware`, which looks every request's path up on disk, through a thread pool,
/// before any route runs: an API request paid a file-system call and two thread hops to learn that
/// `/api/v1/screenings` is not a file.
struct StaticFiles: Middleware {
    struct File: Sendable {
        var body: ByteBuffer
        var contentType: HTTPMediaType
        /// The first 12 hex digits of the content's SHA-256.
        var version: String
        var etag: String { "\"" + version + "\"" }
    }

    /// URL path (`/style.css`) → file.
    let files: [String: File]

    /// Reads every regular file directly in `directory`.
    init(directory: URL) throws {
        var files: [String: File] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            let data = try Data(contentsOf: url)
            let digest = Secrets.hex(SHA256.hash(data: data))
            files["/" + name] = File(
                body: ByteBuffer(data: data),
                contentType: HTTPMediaType.fileExtension(url.pathExtension) ?? .binary,
                version: String(digest.prefix(12)))
        }
        self.files = files
    }

    /// The files of the web app's resource bundle (nil when the bundle is missing).
    static let bundled: StaticFiles? = WebResources.directory.flatMap {
        try? StaticFiles(directory: $0.appendingPathComponent("Public"))
    }

    /// `/style.css?v=…`: the link a page uses for a bundled file (the bare path when the file is unknown).
    static func link(_ path: String) -> String {
        guard let file = bundled?.files[path] else { return path }
        return path + "?v=" + file.version
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard request.method == .GET || request.method == .HEAD, let file = files[request.url.path] else {
            return next.respond(to: request)
        }
        var headers = HTTPHeaders()
        headers.contentType = file.contentType
        headers.replaceOrAdd(name: .eTag, value: file.etag)
        let versioned = (try? request.query.get(String.self, at: "v")) == file.version
        headers.replaceOrAdd(
            name: .cacheControl, value: versioned ? "public, max-age=31536000, immutable" : "no-cache")
        let sent = request.headers[.ifNoneMatch].flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if sent.contains(file.etag) || sent.contains("W/" + file.etag) || sent.contains("*") {
            return request.eventLoop.makeSucceededFuture(Response(status: .notModified, headers: headers))
        }
        // Vapor sends only the head of the answer to a HEAD request.
        return request.eventLoop.makeSucceededFuture(
            Response(status: .ok, headers: headers, body: .init(buffer: file.body)))
    }
}
