import Foundation
import GreenCustomsCore
import Vapor

/// How secrets are made and kept: passwords as Bcrypt hashes (cost 12), API tokens and session keys as 32 random
/// bytes shown once and stored as their SHA-256 digest.
public enum Secrets {
    /// Bcrypt's cost factor: about 0.2 s per hash on one core here, slow enough to make guessing costly.
    public static let bcryptCost = 12
    /// The prefix every API token starts with, so a leaked one is recognised by secret scanners.
    public static let tokenPrefix = "gct_"

    /// A password's Bcrypt hash.
    public static func hashPassword(_ password: String) throws -> String {
        try Bcrypt.hash(password, cost: bcryptCost)
    }

    public static func verifyPassword(_ password: String, hash: String) -> Bool {
        (try? Bcrypt.verify(password, created: hash)) ?? false
    }

    /// Why `password` is too weak to accept for the account `name`, or nil (`UserAccount.problem(withPassword:)`).
    public static func passwordProblem(_ password: String, name: String? = nil) -> String? {
        UserAccount.problem(withPassword: password, name: name)
    }

    /// A new random secret: `prefix` + 43 characters of URL-safe base64 (256 bits).
    public static func newToken(prefix: String = tokenPrefix) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let text = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return prefix + text
    }

    /// The SHA-256 hex digest under which a token or session key is stored.
    public static func digest(_ secret: String) -> String { hex(rawDigest(secret)) }

    /// The SHA-256 digest itself, for in-memory look-ups (no string made).
    public static func rawDigest(_ secret: String) -> SHA256Digest {
        var secret = secret
        return secret.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    }

    /// A digest in lower-case hex.
    public static func hex(_ digest: SHA256Digest) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The part of a token shown in lists: its prefix and first 6 characters.
    public static func displayPrefix(_ token: String) -> String {
        String(token.prefix(tokenPrefix.count + 6))
    }

    /// Compares two strings in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
