// Starts Swagger UI on /api/docs. A file, not an inline script, so the page's
// Content-Security-Policy can forbid inline scripts; the document's URL comes
// from the container's data-spec-url attribute.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    domNode: container,
    deepLinking: true,
    displayRequestDuration: true,
    validatorUrl: null, // the validator badge would send the document to an outside service
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
