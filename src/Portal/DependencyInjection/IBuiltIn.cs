namespace Portal.DependencyInjection;

/// <summary>Marks the adapters and selectors Portal registers itself, so that one an application adds under the same name replaces them.</summary>
internal interface IBuiltIn;
