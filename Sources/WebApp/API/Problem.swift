import Foundation
import GreenCustomsCore
import Vapor

/// An error in the form of RFC 9457 (`application/problem+json`): what went wrong, and for input errors which
/// fields, named as JSON paths (`lines[3].hs_code`).
struct Problem: Content, Error {
    struct FieldError: Codable, Equatable {
        /// The field at fault, as a path into the request (`lines[3]`, `q`, `limit`).
        var field: String
        var message: String
    }

    var type: String
    var title: String
    var status: Int
    var detail: String
    var instance: String?
    var errors: [FieldError]?

    init(status: HTTPResponseStatus, detail: String, instance: String? = nil, errors: [FieldError]? = nil) {
        self.type = "about:blank"
        self.title = status.reasonPhrase
        self.status = Int(status.code)
        self.detail = detail
        self.instance = instance
        self.errors = errors
    }

    /// An input error on one or more fields (HTTP 422).
    static func invalid(_ errors: [FieldError], detail: String? = nil) -> Problem {
        Problem(
            status: .unprocessableEntity,
            detail: detail
                ?? (errors.count == 1
                    ? "\(errors[0].field): \(errors[0].message)" : "\(errors.count) fields are invalid."),
            errors: errors)
    }

    func response(headers extra: HTTPHeaders = [:]) -> Response {
        var headers = extra
        headers.contentType = HTTPMediaType(
            type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(self)) ?? Data(#"{"status":500,"title":"Internal Server Error"}"#.utf8)
        return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: .init(data: body))
    }
}

/// Turns every error of an API route into `application/problem+json`; a server error's details go to the log, not
/// to the client.
struct ProblemMiddleware: Middleware {
    // Future-based, like every middleware on the API's path: an async middleware costs each request two thread hops.
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapErrorThrowing { error in Self.response(for: error, request) }
    }

    static func response(for error: any Error, _ request: Request) -> Response {
        switch error {
        case let problem as Problem:
            return problem.response()
        case let abort as any AbortError:
            var problem = Problem(status: abort.status, detail: abort.reason, instance: request.url.path)
            if abort.status == .payloadTooLarge {
                let limit = request.bodyLimit
                problem.detail = "The request body is larger than \(limit) bytes (\(limit >> 20) MiB), this route's limit."
                request.recordBodyTooLarge(limit: limit)
            }
            return problem.response(headers: abort.headers)
        case let error as DecodingError:
            return Problem.invalid([Problem.FieldError(field: error.fieldPath, message: error.plainMessage)]).response()
        default:
            request.logger.error("API error on \(request.method) \(request.url.path): \(String(reflecting: error))")
            return Problem(status: .internalServerError, detail: "The server could not complete the request.")
                .response()
        }
    }
}

extension DecodingError {
    /// The JSON path of the field at fault: `lines[2].hs_code`.
    var fieldPath: String {
        let path: [any CodingKey]
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        @unknown default: path = []
        }
        var out = ""
        for key in path {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += (out.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return out.isEmpty ? "body" : out
    }

    var plainMessage: String {
        switch self {
        case .typeMismatch(let type, _): "expected \(type == String.self ? "a string" : "a value of another type")"
        case .valueNotFound: "a value is required"
        case .keyNotFound: "this field is required"
        case .dataCorrupted(let context): context.debugDescription
        @unknown default: "invalid"
        }
    }
}

extension Request {
    /// The largest body this request's route takes: its own limit (`RoutesBuilder.upload`, the jobs API) or the
    /// app's default.
    var bodyLimit: Int {
        route?.userInfo[CSRFMiddleware.bodyLimitKey] as? Int ?? application.routes.defaultMaxBodySize.value
    }

    /// Records a refused oversized body in the audit log (counted: a client retrying records one event per batch).
    func recordBodyTooLarge(limit: Int) {
        services.recordCounted(
            AuditEvent(
                at: Date(), actor: actorName, action: .bodyTooLarge, target: String(url.path.prefix(200)),
                detail: "\(method.rawValue) body over \(limit) bytes", address: clientAddress),
            logger: logger)
    }
}
