import GreenCustomsCore

/// The words around a match that change what it means, as token hashes (stemmed like the text).
///
/// - *Ordinary goods* that share a word with a listed name: "ivory coloured paper", "Python programming books",
///   "crocodile clips", "Tiger Balm", "rosewood-effect flooring", "X-ray apparatus", "caviar substitutes".
/// - *Imitations*: "faux", "imitation", "synthetic", "-effect", "print" clear a common name or trade term.
/// - *Regime cues*: words that make a weak match strong: live, skins, carvings, timber for CITES; waste, scrap,
///   used, spent, for recycling for Basel (which applies to wastes only; "new" clears it); refrigerant, cylinder,
///   pesticide, technical grade for chemicals.
///
/// The lists are data; `Docs/screening.md` explains each group.
struct ContextRules: Sendable {
    /// A listed word (or phrase head) and the neighbours that make it ordinary goods.
    struct OrdinaryUse: Sendable {
        var trigger: UInt64
        /// Any of these within two words after the trigger clears the match.
        var after: Set<UInt64>
        /// Any of these within two words before the trigger clears the match.
        var before: Set<UInt64>
    }

    var ordinary: [UInt64: [OrdinaryUse]] = [:]

    /// The word classes, as bits of a mask.
    struct Cue: OptionSet, Sendable {
        let rawValue: UInt8
        static let imitation = Cue(rawValue: 1)
        static let cites = Cue(rawValue: 2)
        /// Product words that, next to a common name, say the line is about the animal or plant ("tiger skins").
        static let specimen = Cue(rawValue: 4)
        static let chemical = Cue(rawValue: 8)
        static let waste = Cue(rawValue: 16)
        static let notWaste = Cue(rawValue: 32)
        static let disposal = Cue(rawValue: 64)
        static let ordinaryTrigger = Cue(rawValue: 128)
    }

    /// Word hash → classes, in one table, so classifying a line costs one probe per word.
    private(set) var classes = TokenMasks()
    /// Words that deny what follows them ("other than", "not containing", "excluding", "non-") and the word that
    /// denies what precedes it ("CFC-free").
    let negators: Set<UInt64>
    let free: UInt64

    static func hashes(_ words: [String]) -> Set<UInt64> {
        Set(words.flatMap { ByteTokenizer.tokens(Array($0.utf8)).map(\.hash) })
    }

    static func hash(_ word: String) -> UInt64 { ByteTokenizer.tokens(Array(word.utf8))[0].hash }

    /// (listed word, words after it, words before it) that make it ordinary goods.
    static let ordinaryUses: [(String, [String], [String])] = [
        (
            "ivory",
            [
                "coloured", "colored", "colour", "color", "white", "paper", "card", "board", "paint", "tone",
                "shade", "lace", "soap", "tile", "satin", "silk", "finish", "cream", "linen", "wax", "enamel",
            ], ["cote", "coast", "colour", "color"]
        ),
        ("ivoire", [], ["cote", "d"]),
        ("marfil", ["color", "colour"], ["color", "de"]),
        (
            "python",
            [
                "programming", "program", "book", "books", "software", "language", "course", "script", "code",
                "developer", "guide", "tutorial", "edition", "ebook", "training", "library", "package", "textbook",
                "manual", "certification", "3", "2", "learning", "crash", "cookbook", "handbook", "module",
            ], ["learn", "learning", "monty", "programming", "beginning", "intro", "introduction"]
        ),
        (
            "crocodile",
            ["clip", "clips", "clamp", "clamps", "connector", "lead", "leads", "pattern", "print", "embossed"],
            ["mock", "faux"]
        ),
        ("alligator", ["clip", "clips", "clamp", "clamps", "connector", "wrench", "pear", "pears", "lead"], []),
        (
            "tiger",
            [
                "balm", "nut", "nuts", "prawn", "prawns", "shrimp", "shrimps", "lily", "lilies", "eye", "eyes",
                "bread", "moth", "beer", "print", "stripe", "stripes", "brand", "ointment", "oil",
            ], ["balm"]
        ),
        (
            "rosewood",
            [
                "effect", "colour", "color", "coloured", "colored", "finish", "laminate", "vinyl", "look", "stain",
                "pattern", "decor", "foil", "print", "oil",
            ], ["faux", "imitation"]
        ),
        (
            "mahogany",
            [
                "effect", "colour", "color", "coloured", "colored", "finish", "laminate", "vinyl", "look", "stain",
                "pattern", "decor", "foil", "print",
            ], ["african", "faux", "imitation"]
        ),
        ("coral", ["colour", "color", "coloured", "colored", "pink", "red", "paint", "lipstick", "fleece"], []),
        ("ray", [], ["x", "gamma", "uv", "ultraviolet", "cathode", "infrared", "alpha", "beta", "sun"]),
        ("caviar", ["substitute", "substitutes", "lumpfish"], ["substitute", "lumpfish", "imitation"]),
        ("musk", ["ketone", "xylene", "ambrette", "melon", "melons", "rose"], ["synthetic", "white"]),
        ("seal", ["ring", "rings", "kit", "kits", "gasket", "gaskets"], ["oil", "rubber", "shaft", "mechanical"]),
        ("boa", ["feather", "feathers", "scarf"], ["feather", "feathers", "marabou"]),
        ("monitor", ["lcd", "led", "screen", "display"], ["lcd", "led", "computer", "video", "baby", "heart"]),
        ("jaguar", ["car", "cars", "vehicle", "parts"], []),
        ("puma", ["shoes", "shoe", "sportswear", "trainers"], []),
        ("elephant", ["grass", "garlic", "ear", "ears", "foot", "yam"], []),
        ("oud", ["instrument", "strings", "string", "lute", "musical"], ["musical", "arabic"]),
        ("orchid", ["fragrance", "scent", "perfume", "print", "pattern", "colour", "color"], []),
    ]

    init() {
        negators = Self.hashes(["than", "not", "excluding", "except", "without", "non", "no", "sans", "sin", "hors"])
        free = Self.hash("free")
        for (trigger, after, before) in Self.ordinaryUses {
            let use = OrdinaryUse(trigger: Self.hash(trigger), after: Self.hashes(after), before: Self.hashes(before))
            ordinary[use.trigger, default: []].append(use)
        }
        func mark(_ cue: Cue, _ words: [String]) {
            for h in Self.hashes(words) { classes.insert(h, cue.rawValue) }
        }
        for trigger in ordinary.keys { classes.insert(trigger, Cue.ordinaryTrigger.rawValue) }
        mark(
            .imitation,
            [
                "imitation", "faux", "artificial", "synthetic", "fake", "effect", "pattern", "print", "printed", "look",
                "style", "replica", "simulated", "vegan", "plush", "costume", "mock", "lookalike", "toy", "toys",
            ])
        mark(
            .cites,
            [
                "live", "skin", "skins", "hide", "hides", "leather", "carving", "carvings", "carved", "meat", "timber",
                "log", "logs", "sawn", "wood", "lumber", "plank", "planks", "veneer", "trophy", "trophies", "specimen",
                "specimens", "feather", "feathers", "egg", "eggs", "shell", "shells", "scale", "scales", "fin", "fins",
                "horn", "horns", "tusk", "tusks", "bone", "bones", "teeth", "tooth", "claw", "claws", "bile", "extract",
                "dried", "frozen", "seedling", "seedlings", "plant", "plants", "bulb", "bulbs", "seed", "seeds", "root",
                "roots", "tuber", "tubers", "bark", "caviar", "roe", "fillet", "fillets", "derivative", "derivatives",
                "parts", "body", "bodies", "pet", "pets", "captive", "wild", "bred", "ranched", "taxidermy", "mounted",
                "stuffed", "fur", "furs", "pelt", "pelts", "wool", "hair", "vivo", "vivos", "vivant", "vivants", "peau",
                "peaux", "piel", "pieles", "bois", "madera", "carne", "viande", "animal", "animals", "reptile",
                "reptiles", "bird", "birds", "fish", "species", "cites", "wildlife", "handbag", "handbags", "belt",
                "belts", "boots", "watchstrap", "watchstraps", "chips", "sticks", "heartwood", "resin", "powder",
                "sculpture", "sculptures", "figurine", "figurines", "jewellery", "jewelry", "beads", "instrument",
                "guitar", "cutting", "cuttings", "flowers", "tissue", "culture",
            ])
        mark(
            .specimen,
            [
                "live", "living", "skin", "hide", "leather", "carving", "carved", "meat", "timber", "log", "sawn",
                "lumber", "plank", "veneer", "trophy", "trophies", "specimen", "feather", "egg", "shell", "scale",
                "fin",
                "horn", "tusk", "bone", "teeth", "tooth", "claw", "bile", "extract", "dried", "seedling", "bulb",
                "root",
                "bark", "caviar", "pelt", "fur", "taxidermy", "mounted", "stuffed", "parts", "derivative", "ivory",
                "wood", "heartwood", "chips", "resin", "oil", "powder", "cutting", "plant", "seed", "tuber", "vivo",
                "vivant", "peau", "piel", "carne", "viande", "bois", "madera", "handbag", "belt", "boots", "sculpture",
                "figurine", "jewellery", "jewelry", "beads", "pet", "captive", "wild", "bred", "ranched",
            ])
        mark(
            .chemical,
            [
                "refrigerant", "refrigerants", "gas", "gases", "cylinder", "cylinders", "pesticide", "pesticides",
                "insecticide", "herbicide", "fungicide", "acaricide", "nematicide", "rodenticide", "formulation",
                "formulations", "concentrate", "technical", "tech", "grade", "ec", "wp", "sl", "ulv", "active",
                "ingredient", "solvent", "cas", "chemical", "chemicals", "fumigant", "propellant", "foam", "blowing",
                "aerosol", "drum", "drums", "tank", "isotank", "liquid", "emulsifiable", "wettable", "granule",
                "granules", "dust", "agrochemical", "purity", "ai", "cleaning", "degreaser", "reagent", "precursor",
                "intermediate", "pure", "anhydrous", "bulk", "kg", "litre", "litres", "liter", "liters",
            ])
        mark(
            .waste,
            [
                "waste", "wastes", "scrap", "scraps", "used", "spent", "recycling", "recycle", "recycled", "recovery",
                "residue", "residues", "discarded", "obsolete", "broken", "junk", "ewaste", "sludge", "sludges", "ash",
                "ashes", "dross", "slag", "salvage", "salvaged", "dismantling", "dismantled", "ulab", "secondhand",
                "damaged", "defective", "disposal", "unwanted", "expired", "rejects",
                "offcuts", "cuttings", "shredded", "crushed", "trimmings", "déchets", "dechets", "desechos",
                "residuos", "chatarra", "ferraille", "usagés", "usages", "usados", "contaminated",
            ])
        mark(.notWaste, ["new", "unused", "virgin", "neuf", "neufs", "nuevo", "nuevos"])
        mark(
            .disposal,
            [
                "disposal", "destruction", "incineration", "destroy", "destroyed", "waste", "wastes", "stockpile",
                "elimination", "treatment",
            ])
    }

    /// Whether the trigger word at `index` of `tokens` is used for ordinary goods.
    func isOrdinaryUse(_ tokens: [ByteTokenizer.Token], first: Int, last: Int) -> Bool {
        for index in first...last {
            guard let uses = ordinary[tokens[index].hash] else { continue }
            for use in uses {
                for k in (last + 1)..<min(last + 3, tokens.count) where use.after.contains(tokens[k].hash) {
                    return true
                }
                for k in max(0, first - 2)..<first where use.before.contains(tokens[k].hash) { return true }
            }
        }
        return false
    }

    /// Whether the words before a match deny it ("other than parathion", "not containing asbestos", "excluding
    /// DDT", "non-CFC") or the word after does ("CFC-free"). A denial reaches over a short list ("other than
    /// parathion (ISO) and parathion-methyl").
    func isNegated(_ tokens: [ByteTokenizer.Token], first: Int, last: Int) -> Bool {
        if last + 1 < tokens.count, tokens[last + 1].hash == free { return true }
        var k = first - 1
        while k >= 0 && k >= first - 6 {
            if negators.contains(tokens[k].hash) { return true }
            k -= 1
        }
        return false
    }

    /// Whether a token within two words of `first…last` has `cue`.
    @inline(__always)
    static func near(_ masks: [UInt32], first: Int, last: Int, _ cue: Cue) -> Bool {
        for k in max(0, first - 2)..<min(masks.count, last + 3) where k < first || k > last {
            if masks[k] & UInt32(cue.rawValue) != 0 { return true }
        }
        return false
    }
}

/// An open-addressing map from token hashes to a byte of flags.
struct TokenMasks: Sendable {
    private var keys = [UInt64](repeating: 0, count: 1024)
    private var values = [UInt8](repeating: 0, count: 1024)
    private var count = 0

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 44) & (keys.count - 1)
    }

    mutating func insert(_ raw: UInt64, _ mask: UInt8) {
        let key = raw == 0 ? 1 : raw
        if (count + 1) * 2 > keys.count { grow() }
        var i = slot(key)
        while keys[i] != 0 && keys[i] != key { i = (i + 1) & (keys.count - 1) }
        if keys[i] == 0 { count += 1 }
        keys[i] = key
        values[i] |= mask
    }

    private mutating func grow() {
        let old = zip(keys, values).filter { $0.0 != 0 }
        keys = [UInt64](repeating: 0, count: keys.count * 2)
        values = [UInt8](repeating: 0, count: keys.count)
        count = 0
        for (k, v) in old { insert(k, v) }
    }

    @inline(__always)
    subscript(raw: UInt64) -> UInt8 {
        let key = raw == 0 ? 1 : raw
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { return values[i] }
            if k == 0 { return 0 }
            i = (i + 1) & (keys.count - 1)
        }
    }
}
