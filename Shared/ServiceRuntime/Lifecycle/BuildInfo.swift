// Which build is running: shown by --version, in the start-up log line and as build_info.

/// The version and commit of this build.
public enum BuildInfo {
    /// The registry's version.
    public static let version = "0.1.0"
    /// The git commit it was built from. Source checkouts say `unknown`; the container build
    /// writes the commit here (`docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD)`;
    /// docker/Dockerfile replaces this line).
    public static let commit = "unknown" // build-commit
}
