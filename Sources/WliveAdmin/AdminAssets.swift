/// Files the gateway serves itself, built into the binary so that a deployment with no internet
/// and no files beside the executable still has them (SwiftPM's `embedInCode` resources).
public enum AdminAssets {
    /// The operator page: one HTML file with its script and styles inline, no CDN, no build step.
    public static var page: [UInt8] { PackageResources.admin_html }
    /// The HTTP API's contract, `docs/openapi.yaml` (a link to this file).
    public static var openAPI: [UInt8] { PackageResources.openapi_yaml }
}
