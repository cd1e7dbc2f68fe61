// SwiftPM needs a target; the product built is swift-openapi-generator.
