using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Storage.Migrations.Postgres
{
    /// <inheritdoc />
    internal partial class ConfigImport : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "source",
                table: "platforms",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "admin");

            migrationBuilder.AddColumn<string>(
                name: "source",
                table: "models",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "admin");

            migrationBuilder.AddColumn<string>(
                name: "name",
                table: "api_keys",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "source",
                table: "api_keys",
                type: "character varying(20)",
                maxLength: 20,
                nullable: false,
                defaultValue: "admin");

            migrationBuilder.CreateIndex(
                name: "IX_api_keys_platform_id_name",
                table: "api_keys",
                columns: new[] { "platform_id", "name" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_api_keys_platform_id_name",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "source",
                table: "platforms");

            migrationBuilder.DropColumn(
                name: "source",
                table: "models");

            migrationBuilder.DropColumn(
                name: "name",
                table: "api_keys");

            migrationBuilder.DropColumn(
                name: "source",
                table: "api_keys");
        }
    }
}
