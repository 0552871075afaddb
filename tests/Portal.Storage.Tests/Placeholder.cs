namespace Portal.Storage.Tests;
