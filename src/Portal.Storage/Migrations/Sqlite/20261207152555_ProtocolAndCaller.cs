using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Sqlite
{
    /// <inheritdoc />
    internal partial class ProtocolAndCaller : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "caller",
                table: "request_stats",
                type: "TEXT",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "protocol",
                table: "request_stats",
                type: "TEXT",
                maxLength: 200,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "caller",
                table: "request_stats");

            migrationBuilder.DropColumn(
                name: "protocol",
                table: "request_stats");
        }
    }
}
