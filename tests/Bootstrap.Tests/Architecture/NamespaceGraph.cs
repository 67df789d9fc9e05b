using System.Reflection;
using System.Reflection.Emit;

namespace Bootstrap.Tests.Architecture;

/// <summary>
/// Which namespace of an assembly uses which other, read from the compiled code itself: every
/// signature (fields, properties, parameters, return types, base types, interfaces, generic
/// arguments) and every type, method and field a method body names (ECMA-335 §III: the operand
/// of each inline-token instruction). Compiler-made types (closures, state machines) count for
/// the namespace of the type that holds them.
/// </summary>
public sealed class NamespaceGraph
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>namespace → namespace it uses → one example of why ("Type.Member uses Other").</summary>
    public Dictionary<string, Dictionary<string, string>> Edges { get; } = new();

    public static NamespaceGraph Of(Assembly assembly)
    {
        var graph = new NamespaceGraph();
        foreach (var type in assembly.GetTypes())
            graph.Read(type, assembly);
        return graph;
    }

    private void Read(Type type, Assembly assembly)
    {
        var from = NamespaceOf(type);
        if (from == null)
            return;
        void Use(Type? used, string why)
        {
            foreach (var t in Expand(used))
                if (t.Assembly == assembly && NamespaceOf(t) is { } to && to != from)
                {
                    var edges = Edges.TryGetValue(from, out var e) ? e : Edges[from] = new();
                    edges.TryAdd(to, $"{type.FullName} {why} {t.FullName}");
                }
        }
        Use(type.BaseType, "derives from");
        foreach (var i in type.GetInterfaces())
            Use(i, "implements");
        foreach (var field in type.GetFields(Everything))
            Use(field.FieldType, $".{field.Name} is a");
        foreach (var property in type.GetProperties(Everything))
            Use(property.PropertyType, $".{property.Name} is a");
        foreach (var method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo info)
                Use(info.ReturnType, $".{method.Name} returns");
            foreach (var parameter in method.GetParameters())
                Use(parameter.ParameterType, $".{method.Name} takes");
            foreach (var (used, member) in BodyReferences(method))
                Use(used, $".{method.Name} names {member} of");
        }
    }

    /// <summary>The types a method's IL names: each token operand resolved to its type (or a member's declaring type).</summary>
    private static IEnumerable<(Type Type, string Member)> BodyReferences(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            il = null;
        }
        if (il == null)
            yield break;
        var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var at = 0; at < il.Length;)
        {
            short value = il[at] == 0xFE && at + 1 < il.Length ? (short)(0xFE00 | il[at + 1]) : il[at];
            if (!OpCodesByValue.TryGetValue(value, out var op))
                yield break;   // unknown byte: stop rather than misread the rest
            at += op.Size;
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, at);
                    MemberInfo? member = null;
                    try
                    {
                        member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                    }
                    if (member is Type t)
                        yield return (t, t.Name);
                    else if (member?.DeclaringType is { } declaring)
                        yield return (declaring, member.Name);
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + 4 * BitConverter.ToInt32(il, at);
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                default:
                    at += 4;
                    break;
            }
        }
    }

    /// <summary>A type with its element type and generic arguments, all the way down.</summary>
    private static IEnumerable<Type> Expand(Type? type)
    {
        if (type == null)
            yield break;
        if (type.HasElementType)
        {
            foreach (var t in Expand(type.GetElementType()))
                yield return t;
            yield break;
        }
        if (type.IsGenericParameter)
            yield break;
        yield return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
        if (type.IsGenericType)
            foreach (var argument in type.GetGenericArguments())
                foreach (var t in Expand(argument))
                    yield return t;
    }

    private static string? NamespaceOf(Type type)
    {
        while (type.DeclaringType != null)
            type = type.DeclaringType;
        return type.Namespace;
    }

    /// <summary>Every cycle's namespaces (strongly connected components of more than one), each with the edges that close it.</summary>
    public IReadOnlyList<string> Cycles()
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var found = new List<string>();
        var counter = 0;
        void Visit(string v)
        {
            index[v] = low[v] = counter++;
            stack.Push(v);
            onStack.Add(v);
            foreach (var w in Edges.GetValueOrDefault(v)?.Keys ?? Enumerable.Empty<string>())
            {
                if (!index.ContainsKey(w))
                {
                    Visit(w);
                    low[v] = Math.Min(low[v], low[w]);
                }
                else if (onStack.Contains(w))
                    low[v] = Math.Min(low[v], index[w]);
            }
            if (low[v] != index[v])
                return;
            var component = new List<string>();
            string x;
            do
            {
                x = stack.Pop();
                onStack.Remove(x);
                component.Add(x);
            } while (x != v);
            if (component.Count > 1)
                found.Add(string.Join("\n", component.Order().SelectMany(a => component.Where(b => Edges.GetValueOrDefault(a)?.ContainsKey(b) == true)
                    .Select(b => $"  {a} -> {b}: {Edges[a][b]}"))));
        }
        foreach (var v in Edges.Keys.ToList())
            if (!index.ContainsKey(v))
                Visit(v);
        return found;
    }
}
