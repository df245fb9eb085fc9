// Swagger UI over clinagent's OpenAPI document. Loaded as a file (the Content-Security-Policy
// allows no inline script); the document's URL comes from the page's data attribute.
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No badge from the public validator: the page works offline and tells no one it was read.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
  });
});
