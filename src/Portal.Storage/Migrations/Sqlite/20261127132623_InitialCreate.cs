using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "health",
                columns: table => new
                {
                    resource_kind = table.Column<int>(type: "INTEGER", nullable: false),
                    resource_id = table.Column<long>(type: "INTEGER", nullable: false),
                    status = table.Column<int>(type: "INTEGER", nullable: false),
                    retry_count = table.Column<int>(type: "INTEGER", nullable: false),
                    next_available_at = table.Column<long>(type: "INTEGER", nullable: true),
                    backoff_ms = table.Column<long>(type: "INTEGER", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    last_error_code = table.Column<int>(type: "INTEGER", nullable: true),
                    last_check_at = table.Column<long>(type: "INTEGER", nullable: false),
                    last_success_at = table.Column<long>(type: "INTEGER", nullable: true),
                    success_count = table.Column<long>(type: "INTEGER", nullable: false),
                    error_count = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_health", x => new { x.resource_kind, x.resource_id });
                });

            migrationBuilder.CreateTable(
                name: "platforms",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    format = table.Column<string>(type: "TEXT", maxLength: 50, nullable: false),
                    base_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    rpm = table.Column<int>(type: "INTEGER", nullable: true),
                    tpm = table.Column<int>(type: "INTEGER", nullable: true),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_platforms", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "request_stats",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    timestamp = table.Column<long>(type: "INTEGER", nullable: false),
                    is_stream = table.Column<bool>(type: "INTEGER", nullable: false),
                    model_name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    platform_id = table.Column<long>(type: "INTEGER", nullable: false),
                    api_key_id = table.Column<long>(type: "INTEGER", nullable: false),
                    model_id = table.Column<long>(type: "INTEGER", nullable: false),
                    duration_ms = table.Column<double>(type: "REAL", nullable: false),
                    first_byte_ms = table.Column<double>(type: "REAL", nullable: true),
                    success = table.Column<bool>(type: "INTEGER", nullable: false),
                    error_message = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    status_code = table.Column<int>(type: "INTEGER", nullable: true),
                    prompt_tokens = table.Column<int>(type: "INTEGER", nullable: true),
                    completion_tokens = table.Column<int>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_request_stats", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "api_keys",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    platform_id = table.Column<long>(type: "INTEGER", nullable: false),
                    value = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_keys", x => x.id);
                    table.ForeignKey(
                        name: "FK_api_keys_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "models",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    platform_id = table.Column<long>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    alias = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    enabled = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_models", x => x.id);
                    table.ForeignKey(
                        name: "FK_models_platforms_platform_id",
                        column: x => x.platform_id,
                        principalTable: "platforms",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_platform_id",
                table: "api_keys",
                column: "platform_id");

            migrationBuilder.CreateIndex(
                name: "IX_models_alias",
                table: "models",
                column: "alias");

            migrationBuilder.CreateIndex(
                name: "IX_models_name",
                table: "models",
                column: "name");

            migrationBuilder.CreateIndex(
                name: "IX_models_platform_id_name",
                table: "models",
                columns: new[] { "platform_id", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_platforms_name",
                table: "platforms",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats",
                columns: new[] { "model_name", "timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats",
                columns: new[] { "platform_id", "timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_timestamp",
                table: "request_stats",
                column: "timestamp");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "api_keys");

            migrationBuilder.DropTable(
                name: "health");

            migrationBuilder.DropTable(
                name: "models");

            migrationBuilder.DropTable(
                name: "request_stats");

            migrationBuilder.DropTable(
                name: "platforms");
        }
    }
}
