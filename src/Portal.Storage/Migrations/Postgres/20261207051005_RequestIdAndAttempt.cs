using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class RequestIdAndAttempt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "attempt",
                table: "request_stats",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "request_id",
                table: "request_stats",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_request_stats_request_id_attempt",
                table: "request_stats",
                columns: new[] { "request_id", "attempt" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_request_stats_request_id_attempt",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "attempt",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "request_id",
                table: "request_stats");
        }
    }
}
