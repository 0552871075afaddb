using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class AnthropicFields : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "cache_write_tokens",
                table: "request_stats",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "cached_input_tokens",
                table: "request_stats",
                type: "integer",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "target_format",
                table: "request_stats",
                type: "character varying(50)",
                maxLength: 50,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "api_version",
                table: "platforms",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "default_max_tokens",
                table: "platforms",
                type: "integer",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "cache_write_tokens",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "cached_input_tokens",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "target_format",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "api_version",
                table: "platforms");

            migrationBuilder.DropColumn(
                name: "default_max_tokens",
                table: "platforms");
        }
    }
}
