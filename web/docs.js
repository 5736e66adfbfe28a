/*
 * The API docs page (/docs): Swagger UI over this server's OpenAPI document. A file rather than the inline
 * script FastAPI's page carries, so that the Content-Security-Policy can refuse every inline script.
 * validatorUrl: null keeps Swagger UI from sending the document to an outside validator.
 */
"use strict";

window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
