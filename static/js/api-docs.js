// Starts Swagger UI on the API docs page (no inline script: the page's CSP forbids it).
window.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("api-docs");
  window.SwaggerUIBundle({
    url: holder.getAttribute("data-openapi-url"),
    domNode: holder,
    deepLinking: true,
    // No call to the public validator service: the page works offline.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    layout: "BaseLayout"
  });
});
