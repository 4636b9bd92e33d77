"""OpenAPI details Litestar does not derive by itself, and the pages at ``/schema``.

The pages (Redoc at ``/schema`` and ``/schema/redoc``, Swagger UI at ``/schema/swagger``) load
their scripts, styles and icons from this server: the files ship in the ``openapi-ui-bundles``
package and are served under ``/schema/assets/``, so the pages work with no network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
from litestar import Router
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.openapi.plugins import OpenAPIRenderPlugin, RedocRenderPlugin, SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from openapi_ui_bundles import redoc, swagger_ui

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.openapi.spec import Schema
    from litestar.typing import FieldDefinition


class StrictStructSchemaPlugin(StructSchemaPlugin):
    """Request bodies refuse unknown fields (a typo such as ``expected_verison`` must not pass
    silently), so their schema says ``additionalProperties: false``.
    """

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if getattr(info, "forbid_unknown_fields", False):
            schema.additional_properties = False
        return schema


SCHEMA_PATH = "/schema"
ASSETS = f"{SCHEMA_PATH}/assets"
SWAGGER_ASSETS = f"{ASSETS}/swagger-ui"
REDOC_ASSETS = f"{ASSETS}/redoc"


def _icon(href: str, media_type: str) -> str:
    return f"<link rel='icon' type='{media_type}' href='{href}'>"


def schema_pages() -> list[OpenAPIRenderPlugin]:
    """Redoc (the ``/schema`` page) and Swagger UI, each pointing at the assets served here."""
    return [
        RedocRenderPlugin(
            path=["/", "/redoc"],
            js_url=f"{REDOC_ASSETS}/redoc.standalone.js",
            google_fonts=False,
            favicon=_icon(f"{REDOC_ASSETS}/logo-mini.svg", "image/svg+xml"),
        ),
        SwaggerRenderPlugin(
            path="/swagger",
            js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
            css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
            standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
            favicon=_icon(f"{SWAGGER_ASSETS}/favicon-32x32.png", "image/png"),
        ),
    ]


def schema_assets() -> list[Router]:
    """The routes serving the pages' files from the installed package."""
    return [
        create_static_files_router(
            path=SWAGGER_ASSETS, directories=[swagger_ui.static_path], name="swagger-ui-assets"
        ),
        create_static_files_router(
            path=REDOC_ASSETS, directories=[redoc.static_path], name="redoc-assets"
        ),
    ]
