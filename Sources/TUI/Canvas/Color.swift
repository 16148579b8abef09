/// A cell's colour. Views and widgets always speak in RGB; the terminal backend turns it into
/// whatever the terminal has (direct colour, the xterm-256 palette, or the 8 basic colours).
public enum Color: Hashable, Sendable {
    case terminalDefault
    case rgb(UInt8, UInt8, UInt8)

    public init(_ r: Double, _ g: Double, _ b: Double) {
        func byte(_ v: Double) -> UInt8 { UInt8(min(max(v, 0), 255).rounded()) }
        self = .rgb(byte(r), byte(g), byte(b))
    }

    /// 0xRRGGBB, the form direct-colour terminals take.
    public var hex: Int? {
        guard case .rgb(let r, let g, let b) = self else { return nil }
        return Int(r) << 16 | Int(g) << 8 | Int(b)
    }

    /// The nearest colour of the xterm-256 palette: the 6×6×6 cube (16…231) or the grey
    /// ramp (232…255), whichever is closer.
    public var xterm256: Int {
        guard case .rgb(let r, let g, let b) = self else { return -1 }
        let levels = [0, 95, 135, 175, 215, 255]
        func cubeIndex(_ v: UInt8) -> Int {
            levels.indices.min { abs(levels[$0] - Int(v)) < abs(levels[$1] - Int(v)) }!
        }
        let (ri, gi, bi) = (cubeIndex(r), cubeIndex(g), cubeIndex(b))
        let cube = (levels[ri], levels[gi], levels[bi])
        let mean = (Int(r) + Int(g) + Int(b)) / 3
        let greyStep = min(max((mean - 8 + 5) / 10, 0), 23)
        let grey = 8 + 10 * greyStep
        func distance(_ c: (Int, Int, Int)) -> Int {
            let (dr, dg, db) = (c.0 - Int(r), c.1 - Int(g), c.2 - Int(b))
            return dr * dr + dg * dg + db * db
        }
        return distance((grey, grey, grey)) < distance(cube) ? 232 + greyStep : 16 + 36 * ri + 6 * gi + bi
    }

    /// The nearest of the 8 basic colours (black, red, green, yellow, blue, magenta, cyan, white).
    public var basic8: Int {
        guard case .rgb(let r, let g, let b) = self else { return -1 }
        let bright = (Int(r) + Int(g) + Int(b)) / 3
        let threshold = max(bright, 64)
        let bits = (Int(r) >= threshold ? 1 : 0) | (Int(g) >= threshold ? 2 : 0) | (Int(b) >= threshold ? 4 : 0)
        if bits == 7 { return bright < 96 ? 0 : 7 }
        return bits == 0 ? (bright > 160 ? 7 : 0) : bits
    }
}

/// What the terminal can show.
public enum ColorMode: String, Sendable, CaseIterable {
    /// No colour: heatmaps and plots fall back to plain characters.
    case monochrome
    case basic
    case palette256
    case truecolor

    public var hasColor: Bool { self != .monochrome }

    /// The mode for a terminal with `colors` colours; direct colour needs both a 16M-colour
    /// terminal description and COLORTERM=truecolor (or 24bit).
    public static func detect(colors: Int, colorTerm: String?) -> ColorMode {
        if colors >= 1 << 24, let t = colorTerm, t == "truecolor" || t == "24bit" { return .truecolor }
        if colors >= 256 { return .palette256 }
        if colors >= 8 { return .basic }
        return .monochrome
    }

    /// The terminal colour number for `color` in this mode (−1 is the default colour).
    public func terminalColor(_ color: Color) -> Int {
        switch (self, color) {
        case (_, .terminalDefault), (.monochrome, _): return -1
        case (.truecolor, _): return color.hex ?? -1
        case (.palette256, _): return color.xterm256
        case (.basic, _): return color.basic8
        }
    }
}
