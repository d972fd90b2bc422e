// swift-tools-version:6.0
// Hopline: peer-to-peer voice calls over UDP with Opus, for Linux.
//
// Dependencies point one way: the `hopline` CLI uses HoplineNode, which uses media, transport, codec and
// audio I/O; all of those use HoplineCore, which has no C, no sockets and no wall clock.
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Hopline",
    products: [
        .executable(name: "hopline", targets: ["hopline"]),
        .executable(name: "hopline-bench", targets: ["hopline-bench"]),
        .executable(name: "hopline-dht-bench", targets: ["hopline-dht-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Thin system-library wrappers: module.modulemap + shim.h only.
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CPortAudio", pkgConfig: "portaudio-2.0", providers: [.apt(["portaudio19-dev"])]),
        .systemLibrary(name: "CSpeexDSP", pkgConfig: "speexdsp", providers: [.apt(["libspeexdsp-dev"])]),
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        // WebRTC's audio processing module (echo cancellation, noise suppression, gain control) is C++: this
        // system-library target only carries its pkg-config flags; CHoplineAPM's .cpp gives it a plain C API.
        .systemLibrary(
            name: "CWebRTCAudioProcessing", pkgConfig: "webrtc-audio-processing",
            providers: [.apt(["libwebrtc-audio-processing-dev"])]),
        // SwiftPM drops the -D flags of pkg-config ("prohibited flags"), so the two the headers need are set here.
        .target(
            name: "CHoplineAPM", dependencies: ["CWebRTCAudioProcessing"],
            cxxSettings: [.define("WEBRTC_POSIX"), .define("WEBRTC_AUDIO_PROCESSING_ONLY_BUILD")]),
        .systemLibrary(name: "COpenDHT", pkgConfig: "opendht-c", providers: [.apt(["libopendht-c-dev"])]),
        // The routing-table and store figures OpenDHT's C API lacks (two C functions over dht::DhtRunner).
        .target(
            name: "COpenDHTStats", dependencies: ["COpenDHT"], linkerSettings: [.linkedLibrary("opendht")]),
        // sendmmsg(2), which Glibc's Swift module hides: one C function for the relay's batched sends.
        .target(name: "CSocketBatch"),

        .target(name: "HoplineCore", swiftSettings: strict),
        .target(name: "HoplineCodec", dependencies: ["HoplineCore", "COpus"], swiftSettings: strict),
        .target(
            name: "HoplineAudio",
            dependencies: [
                "HoplineCore", "CPortAudio", "CSpeexDSP",
                .product(name: "Atomics", package: "swift-atomics"),
                "CHoplineAPM",
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HoplineNet",
            dependencies: [
                "HoplineCore", "CSRTP",
                .product(name: "BigInt", package: "BigInt"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The volunteer relay: forwards opaque DATA between two cookie-proven, token-holding addresses. It never
        // decrypts media and never looks inside the node's control packets (those go to an injected sink).
        .target(
            name: "HoplineRelay",
            dependencies: [
                "HoplineCore", "HoplineNet", "CSocketBatch",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .target(name: "HoplineMedia", dependencies: ["HoplineCore", "HoplineCodec"], swiftSettings: strict),
        // Serverless discovery on OpenDHT: the runner (the only importer of COpenDHT) and the signed records
        // (presence, introductions, relay announcements). The node uses it; it never uses the node.
        .target(
            name: "HoplineDiscovery",
            dependencies: [
                "HoplineCore", "HoplineNet", "COpenDHT", "COpenDHTStats",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HoplineNode",
            dependencies: [
                "HoplineCore", "HoplineCodec", "HoplineAudio", "HoplineNet", "HoplineMedia", "HoplineDiscovery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hopline",
            dependencies: [
                "HoplineNode", "HoplineAudio", "HoplineCore", "HoplineNet", "HoplineRelay", "HoplineDiscovery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "hopline-bench",
            dependencies: [
                "HoplineNode", "HoplineCodec", "HoplineAudio",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/HoplineBench",
            swiftSettings: strict
        ),

        .executableTarget(
            name: "hopline-dht-bench",
            dependencies: [
                "HoplineDiscovery", "HoplineNet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "bench/DHTBench",
            swiftSettings: strict
        ),

        // One seeded generator and other helpers every test target shares.
        .target(name: "HoplineTestSupport", path: "Tests/HoplineTestSupport", swiftSettings: strict),
        .testTarget(name: "HoplineCoreTests", dependencies: ["HoplineCore", "HoplineTestSupport"], swiftSettings: strict),
        .testTarget(name: "HoplineCodecTests", dependencies: ["HoplineCodec", "HoplineCore"], swiftSettings: strict),
        .testTarget(name: "HoplineAudioTests", dependencies: ["HoplineAudio", "HoplineCore", "HoplineTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "HoplineNetTests",
            dependencies: [
                "HoplineNet", "HoplineCore", "HoplineTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HoplineRelayTests",
            dependencies: [
                "HoplineRelay", "HoplineNet", "HoplineCore", "HoplineTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HoplineDiscoveryTests",
            dependencies: [
                "HoplineDiscovery", "HoplineNet", "HoplineCore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "HoplineMediaTests", dependencies: ["HoplineMedia", "HoplineCodec", "HoplineCore"], swiftSettings: strict),
        .testTarget(
            name: "HoplineNodeTests",
            dependencies: ["HoplineNode", "HoplineAudio", "HoplineCore", "HoplineNet", "HoplineCodec", "HoplineRelay", "HoplineDiscovery"],
            swiftSettings: strict
        ),
    ],
    cxxLanguageStandard: .cxx17
)

// libFuzzer targets (`make fuzz`, README.md, "Fuzzing"): one executable, `hopline-fuzz`, that fuzzes the parser named by
// HOPLINE_FUZZ_TARGET. Declared only when HOPLINE_FUZZ=1, because it links libFuzzer's `main` and must be built
// with `-sanitize=fuzzer,address`; the normal build and tests never see it.
if Context.environment["HOPLINE_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "hopline-fuzz",
            dependencies: [
                "HoplineCore", "HoplineNet", "HoplineAudio", "HoplineNode", "HoplineRelay", "HoplineDiscovery",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Fuzz/Sources",
            swiftSettings: strict
        )
    )
}
