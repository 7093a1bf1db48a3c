// swift-tools-version:6.0
import PackageDescription

/// Upturn: a hands-free, voice-guided session player for inversion tables.
/// No Swift package dependencies; the C libraries come from Debian (see Scripts/setup).
let package = Package(
    name: "Upturn",
    products: [
        .executable(name: "upturn", targets: ["upturn"]),
        .library(name: "UpturnKit", targets: ["UpturnKit"]),
    ],
    targets: [
        .systemLibrary(name: "CALSA", pkgConfig: "alsa", providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CEspeakNG", pkgConfig: "espeak-ng", providers: [.apt(["libespeak-ng-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CSampleRate", pkgConfig: "samplerate", providers: [.apt(["libsamplerate0-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr", providers: [.apt(["libsoxr-dev"])]),
        .systemLibrary(name: "CSDBus", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(
            name: "CPocketSphinx", pkgConfig: "pocketsphinx", providers: [.apt(["libpocketsphinx-dev", "libsphinxbase-dev", "pocketsphinx-en-us"])]),
        .systemLibrary(name: "CSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        // Opened with dlopen by `serve --web` (see its shim): headers only at build time.
        .systemLibrary(name: "CMicroHTTPD", providers: [.apt(["libmicrohttpd-dev"])]),
        // The page's name on the LAN: libavahi-client, opened with dlopen the same way.
        .systemLibrary(name: "CAvahi", providers: [.apt(["libavahi-client-dev"])]),
        // The shipped cue packs and chimes, embedded so the binary works from anywhere.
        .target(
            name: "UpturnSounds",
            path: "Sounds",
            exclude: ["README.md", "de", "es", "fr"],
            sources: ["ShippedSounds.swift"],
            resources: [
                .embedInCode("en/pack.json5"),
                .embedInCode("en/bell.flac"),
                .embedInCode("en/tick.flac"),
                .embedInCode("en/beep.flac"),
            ]
        ),
        .target(
            name: "UpturnKit",
            dependencies: ["CALSA", "CEspeakNG", "CSndFile", "CSampleRate", "CSoxr", "CSDBus", "CPocketSphinx", "CSpeexDSP", "CMicroHTTPD", "CAvahi", "UpturnSounds"],
            resources: [
                .embedInCode("Programs/first-time.json5"),
                .embedInCode("Programs/stretch.json5"),
                .embedInCode("Programs/core.json5"),
                .embedInCode("Programs/full.json5"),
                .embedInCode("Schemas/plan.schema.json"),
                .embedInCode("Schemas/pack.schema.json"),
                // The companion page (serve --web): plain files, no build step.
                .embedInCode("Web/page/index.html"),
                .embedInCode("Web/page/app.js"),
                .embedInCode("Web/page/app.css"),
                .embedInCode("Web/page/icon.svg"),
            ]
        ),
        .executableTarget(name: "upturn", dependencies: ["UpturnKit"]),
        // The benchmark behind Scripts/bench.
        .executableTarget(name: "upturn-bench", dependencies: ["UpturnKit", "UpturnSounds"]),
        // The fuzz target behind Scripts/fuzz; built normally, it replays a corpus.
        .executableTarget(name: "upturn-fuzz", dependencies: ["UpturnKit"]),
        .testTarget(name: "UpturnKitTests", dependencies: ["UpturnKit", "UpturnSounds"]),
        .testTarget(name: "upturnTests", dependencies: ["UpturnKit", "UpturnSounds"]),
    ]
)
