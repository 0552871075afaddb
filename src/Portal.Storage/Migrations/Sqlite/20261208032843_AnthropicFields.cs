using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class AnthropicFields : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats");

            migrationBuilder.DropIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats");

            migrationBuilder.AddColumn<int>(
                name: "cache_write_tokens",
                table: "request_stats",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "cached_input_tokens",
                table: "request_stats",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "target_format",
                table: "request_stats",
                type: "TEXT",
                maxLength: 50,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "api_version",
                table: "platforms",
                type: "TEXT",
                maxLength: 100,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "default_max_tokens",
                table: "platforms",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats",
                columns: new[] { "model_name", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens", "cached_input_tokens", "cache_write_tokens", "attempt" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats",
                columns: new[] { "platform_id", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens", "cached_input_tokens", "cache_write_tokens", "attempt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats");

            migrationBuilder.DropIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats");

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

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats",
                columns: new[] { "model_name", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens", "attempt" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats",
                columns: new[] { "platform_id", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens", "attempt" });
        }
    }
}
