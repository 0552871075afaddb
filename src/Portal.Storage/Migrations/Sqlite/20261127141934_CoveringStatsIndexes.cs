using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class CoveringStatsIndexes : Migration
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

            migrationBuilder.DropIndex(
                name: "IX_request_stats_timestamp",
                table: "request_stats");

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats",
                columns: new[] { "model_name", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats",
                columns: new[] { "platform_id", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_timestamp",
                table: "request_stats",
                columns: new[] { "timestamp", "success" });
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

            migrationBuilder.DropIndex(
                name: "IX_request_stats_timestamp",
                table: "request_stats");

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
    }
}
