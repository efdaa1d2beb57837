import Foundation
import PackagePlugin

/// Writes `HeraldBuild.commit` (the git commit the binary is built from, or `unknown` outside a git checkout) before
/// every build, so `herald --version` names it. The file is replaced only when the commit changed, so an unchanged
/// commit costs no recompilation.
@main
struct HeraldBuildInfo: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "generated")
        let script = """
            set -e
            mkdir -p "$2"
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
            printf 'enum HeraldBuild {\\n    static let commit = "%s"\\n}\\n' "$commit" > "$2/HeraldBuild.swift.new"
            if cmp -s "$2/HeraldBuild.swift.new" "$2/HeraldBuild.swift"; then rm "$2/HeraldBuild.swift.new"; else mv "$2/HeraldBuild.swift.new" "$2/HeraldBuild.swift"; fi
            """
        return [
            .prebuildCommand(
                displayName: "Herald build info (git commit)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", context.package.directoryURL.path, output.path],
                outputFilesDirectory: output
            )
        ]
    }
}
