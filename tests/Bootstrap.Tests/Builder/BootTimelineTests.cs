using Bootstrap.Builder.Machines;

namespace Bootstrap.Tests.Builder;

/// <summary>What the boot phase histogram is given: each phase's time since the one before it in the same boot.</summary>
public sealed class BootTimelineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 3, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_pxe_boot_records_script_kernel_and_status_since_the_phase_before_and_tftp_not_twice()
    {
        var recorded = new List<(string, double)>();
        var timeline = new BootTimeline((phase, seconds) => recorded.Add((phase, seconds)));

        timeline.Mark("m1", BootTimeline.Offer, T0);
        timeline.Mark("m1", BootTimeline.Tftp, T0.AddSeconds(1), measured: true);
        timeline.Mark("m1", BootTimeline.Script, T0.AddSeconds(4));
        timeline.Mark("m1", BootTimeline.Kernel, T0.AddSeconds(4.5));
        timeline.Mark("m1", BootTimeline.Status, T0.AddSeconds(64.5));
        timeline.Mark("m1", BootTimeline.Status, T0.AddSeconds(70));          // a later report: not a first status

        Assert.Equal([(BootTimeline.Script, 3.0), (BootTimeline.Kernel, 0.5), (BootTimeline.Status, 60.0)], recorded);
    }

    [Fact]
    public void A_new_boot_starts_over_and_a_gap_of_an_hour_is_two_boots()
    {
        var recorded = new List<(string, double)>();
        var timeline = new BootTimeline((phase, seconds) => recorded.Add((phase, seconds)));

        timeline.Mark("m1", BootTimeline.Script, T0);                          // an image boot: no PXE phases
        timeline.Mark("m1", BootTimeline.Kernel, T0.AddSeconds(2));
        timeline.Mark("m1", BootTimeline.Offer, T0.AddMinutes(5));              // the next boot, through PXE
        timeline.Mark("m1", BootTimeline.Script, T0.AddMinutes(5).AddSeconds(3));
        timeline.Mark("m2", BootTimeline.Script, T0);
        timeline.Mark("m2", BootTimeline.Kernel, T0.AddHours(2));

        Assert.Equal([(BootTimeline.Kernel, 2.0), (BootTimeline.Script, 3.0)], recorded);
    }
}
