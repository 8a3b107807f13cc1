import ArgumentParser
import Foundation

@main
struct GreenCustoms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "greencustoms",
        abstract:
            "Check goods against the Basel, Cartagena, CITES, Montreal, Rotterdam, Stockholm and Chemical Weapons lists.",
        version: "0.1.0",
        subcommands: [
            Serve.self, Lookup.self, Screen.self, Reference.self, User.self, Token.self, BackupCommand.self,
            RestoreCommand.self,
        ]
    )

    /// Runs the command; a usage error exits with status 2 (the shell convention), not argument-parser's 64.
    static func main() async {
        // A closed output pipe ends the write with EPIPE instead of killing the process mid-line.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}

/// Options every command that reads the reference set shares.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "SQLite file (default ./greencustoms.sqlite) or a postgres:// URL. DATABASE_URL is used when this is absent.",
            valueName: "path"))
    var database: String?
}
