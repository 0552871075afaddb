using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class RequestIdAndAttempt : Migration
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

            migrationBuilder.AddColumn<int>(
                name: "attempt",
                table: "request_stats",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "request_id",
                table: "request_stats",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_failovers_model_name",
                table: "request_stats",
                columns: new[] { "model_name", "timestamp", "request_id", "attempt" },
                filter: "attempt > 1");

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_failovers_timestamp",
                table: "request_stats",
                columns: new[] { "timestamp", "request_id", "attempt", "model_name", "platform_id", "api_key_id" },
                filter: "attempt > 1");

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats",
                columns: new[] { "model_name", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens", "attempt" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats",
                columns: new[] { "platform_id", "timestamp", "duration_ms", "success", "is_stream", "first_byte_ms", "prompt_tokens", "completion_tokens", "attempt" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_request_id_attempt",
                table: "request_stats",
                columns: new[] { "request_id", "attempt", "timestamp", "model_name", "platform_id", "api_key_id" });

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_timestamp",
                table: "request_stats",
                columns: new[] { "timestamp", "success", "attempt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_request_stats_failovers_model_name",
                table: "request_stats");

            migrationBuilder.DropIndex(
                name: "IX_request_stats_failovers_timestamp",
                table: "request_stats");

            migrationBuilder.DropIndex(
                name: "IX_request_stats_model_name_timestamp",
                table: "request_stats");

            migrationBuilder.DropIndex(
                name: "IX_request_stats_platform_id_timestamp",
                table: "request_stats");

            migrationBuilder.DropIndex(
                name: "IX_request_stats_request_id_attempt",
                table: "request_stats");

            migrationBuilder.DropIndex(
                name: "IX_request_stats_timestamp",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "attempt",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "request_id",
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
    }
}
