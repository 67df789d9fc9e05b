// The fastest answer Kestrel can give a boot-script request: the bytes of /ipxe/prod/1234, read
// once from the file named by --body, served from memory with the same content type. bench/run.sh
// runs it beside the service and prints the service's rate as a ratio of this one.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var body = await File.ReadAllBytesAsync(builder.Configuration["body"] ?? throw new ArgumentException("--body FILE is required"));
var app = builder.Build();
app.MapGet("/ipxe/{**rest}", () => TypedResults.Bytes(body, "text/plain; charset=utf-8"));
app.Run();
