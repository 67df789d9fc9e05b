using System.Text.Json.Serialization;
using Bootstrap.Builder.Machines;

namespace Bootstrap.Builder.Bmc;

/// <summary>One machine of a bulk provision as the API and the CLI send it: a MAC and, when given, the job to assign first.</summary>
public sealed record ProvisionInput(
    [property: JsonPropertyName("mac")] string? Mac = null,
    [property: JsonPropertyName("assign")] AssignmentInput? Assign = null);

/// <summary>A checked <see cref="ProvisionInput"/>.</summary>
public sealed record ProvisionOrder(string Mac, Assignment? Assignment);

/// <summary>A checked provision: the machines, and the image each boots as its virtual CD (null: they boot from the network).</summary>
public sealed record ProvisionPlan(IReadOnlyList<ProvisionOrder> Orders, Uri? VirtualCd);

/// <summary>What became of one machine: done (its power read back), or the first step that failed with its own message.</summary>
public sealed record ProvisionOutcome(string Mac, bool Succeeded, PowerState State, string Message);

/// <summary>
/// "Provision these 40 machines": for each, assign its job (when given), set its next boot to
/// the network through its BMC (or insert an image as its virtual CD and boot that), and power
/// it on (or cycle it when it is on), at most <c>bmc-concurrency</c> machines at a time. A machine whose BMC fails fails alone, with the
/// BMC's message; every other machine goes on.
/// </summary>
/// <param name="acted">Told how each machine's provision ended (MAC, what), for its boot log.</param>
public sealed class BmcProvisioning(BmcOperations bmcs, MachineDirectory machines, TimeProvider clock, int concurrency,
    Action<string, string>? acted = null)
{
    public const int MaxMachines = 1000;

    public static readonly IReadOnlyList<string> Vias = ["pxe", "virtual-media"];

    /// <summary>
    /// Checks every entry before anything is done: a bad MAC, a MAC listed twice or a job the
    /// assignment rules refuse is a problem naming the entry (<c>machines[3].assign.network</c>);
    /// then the image, which only a provision via virtual-media takes (see <see cref="BmcOperations.MediaImage"/>).
    /// </summary>
    /// <param name="baseUrl">This service's public base URL, under which the default image is.</param>
    public static Result<ProvisionPlan> Check(IReadOnlyList<ProvisionInput?>? inputs, string? via,
        Func<AssignmentInput, (Assignment? Assignment, AssignmentProblem? Problem)> checkAssignment, string? image = null, string baseUrl = "")
    {
        if ((via ?? "pxe") is var chosen && !Vias.Contains(chosen))
            return Problem.Invalid($"via: '{LogText.Escape(chosen)}' is not {string.Join(" or ", Vias)}");
        if (inputs is not { Count: > 0 })
            return Problem.Invalid("machines: at least one machine is needed ([{\"mac\": \"52:54:00:12:34:56\"}])");
        if (inputs.Count > MaxMachines)
            return Problem.Invalid($"machines: {inputs.Count} machines in one provision; at most {MaxMachines}");
        var orders = new List<ProvisionOrder>(inputs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is not { } input)
                return Problem.Invalid($"machines[{i}]: an object ({{\"mac\": ...}}) is needed");
            if (MacAddress.Normalize(input.Mac) is not { } mac)
                return Problem.Invalid($"machines[{i}].mac: '{LogText.Escape(input.Mac)}' is not a MAC address (12 hex digits, e.g. 52:54:00:12:34:56)");
            if (MacAddress.NotANic(mac) is { } notANic)
                return Problem.Invalid($"machines[{i}].{notANic.Message}");   // "mac: ... is a broadcast address"
            if (!seen.Add(mac))
                return Problem.Invalid($"machines[{i}].mac: {mac} is listed twice");
            Assignment? assignment = null;
            if (input.Assign is { } job)
            {
                if (job.AnswerTemplate != null)
                    return Problem.Invalid($"machines[{i}].assign.answer_template: belongs to a profile (PUT /api/profiles/<name>)");
                var (checkedJob, problem) = checkAssignment(job);
                if (problem != null)
                    return Problem.Invalid($"machines[{i}].assign.{problem.Message}");
                assignment = checkedJob;
            }
            orders.Add(new ProvisionOrder(mac, assignment));
        }
        if (chosen != "virtual-media")
            return image == null ? Result.Ok(new ProvisionPlan(orders, null), $"{orders.Count} machines")
                : Problem.Invalid("image: only with \"via\": \"virtual-media\"");
        var virtualCd = BmcOperations.MediaImage(image, baseUrl);
        return virtualCd.Problem is { } badImage ? badImage : Result.Ok(new ProvisionPlan(orders, virtualCd.Value), $"{orders.Count} machines");
    }

    /// <summary>Provisions every order, <c>concurrency</c> at a time; the outcomes are in the orders' order.</summary>
    /// <param name="mode">The firmware path of the next boot (uefi, legacy), as for <see cref="BmcOperations.SetBootDeviceAsync"/>.</param>
    /// <param name="virtualCd">Boot this image as each machine's virtual CD (via virtual-media) instead of the network.</param>
    public async Task<Result<IReadOnlyList<ProvisionOutcome>>> ProvisionAsync(IReadOnlyList<ProvisionOrder> orders, string? mode, CancellationToken cancel,
        Uri? virtualCd = null)
    {
        if ((mode ?? "uefi") is var chosenMode && !BmcOperations.Modes.Contains(chosenMode))
            return Problem.Invalid($"mode: '{LogText.Escape(chosenMode)}' is not {string.Join(" or ", BmcOperations.Modes)}");
        var outcomes = new ProvisionOutcome[orders.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, orders.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancel },
            async (i, token) => outcomes[i] = await ProvisionOneAsync(orders[i], chosenMode, virtualCd, token));
        var failed = outcomes.Count(o => !o.Succeeded);
        return Result.Ok<IReadOnlyList<ProvisionOutcome>>(outcomes, $"{outcomes.Length - failed} provisioned, {failed} failed");
    }

    private async Task<ProvisionOutcome> ProvisionOneAsync(ProvisionOrder order, string mode, Uri? virtualCd, CancellationToken cancel)
    {
        var mac = order.Mac;
        var done = new List<string>();
        ProvisionOutcome Failed(string message)
        {
            acted?.Invoke(mac, $"provision failed: {message}");
            return new ProvisionOutcome(mac, false, PowerState.Unknown, done.Count == 0 ? message : $"{string.Join("; ", done)}; then {message}");
        }

        if ((await bmcs.GetAsync(mac)).Problem is { } noBmc)
            return Failed(noBmc.Message);
        if (order.Assignment is { } job)
        {
            var assigned = await machines.AssignAsync(mac, job, "provision", clock.GetUtcNow());
            if (assigned.Problem is { } refused)
                return Failed(refused.Message);
            done.Add(job.Menu is { } menu ? $"assigned menu {menu}" : $"assigned {job.Network}/{job.Farmer ?? "-"}");
        }
        if (virtualCd != null)
        {
            // A CD left in from an earlier provision would make the insert fail (409): out with it first, whatever it was.
            await bmcs.EjectMediaAsync(mac, cancel);
            var inserted = await bmcs.InsertMediaAsync(mac, virtualCd, cancel);
            if (inserted.Problem is { } notInserted)
                return Failed(notInserted.Message);
            done.Add($"virtual CD {virtualCd.AbsoluteUri}");
        }
        var device = virtualCd == null ? "network" : "cd";
        var boot = await bmcs.SetBootDeviceAsync(mac, device, mode, once: true, cancel);
        if (boot.Problem is { } bootFailed)
            return Failed(bootFailed.Message);
        done.Add($"next boot from {device} ({mode})");
        var power = await bmcs.PowerAsync(mac, cancel);
        if (power.Problem is { } unread)
            return Failed(unread.Message);
        var action = power.Value == PowerState.On ? "cycle" : "on";
        var powered = await bmcs.ActAsync(mac, action, cancel);
        if (powered.Problem is { } actFailed)
            return Failed(actFailed.Message);
        done.Add($"power {action}, now {BmcOperations.Name(powered.Value)}");
        acted?.Invoke(mac, "provisioned");
        return new ProvisionOutcome(mac, true, powered.Value, string.Join("; ", done));
    }
}
