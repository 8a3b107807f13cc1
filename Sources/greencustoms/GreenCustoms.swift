import ArgumentParser

@main
struct GreenCustoms: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "greencustoms",
        abstract:
            "Check goods against the Basel, Cartagena, CITES, Montreal, Rotterdam, Stockholm and Chemical Weapons lists.",
        version: "0.1.0",
        subcommands: [Lookup.self, Reference.self]
    )
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
