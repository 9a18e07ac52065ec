using Multiprocessing.Internal;

namespace Multiprocessing.Tests.Foundation;

public sealed class SegmentTests
{
    private static string UniqueName() => SegmentNames.NewAnonymous("test");

    [Fact]
    public void Create_then_open_sees_the_same_bytes_and_unlink_removes_the_file()
    {
        string name = UniqueName();
        using SharedMemoryBlock created = SharedMemoryBlock.Create(name, 4096);
        created.Span[100] = 42;
        using (SharedMemoryBlock opened = SharedMemoryBlock.Open(name))
        {
            Assert.Equal(42, opened.Span[100]);
            Assert.Equal(4096, opened.Length);
            Assert.False(opened.IsOwner);
            Assert.Throws<InvalidOperationException>(opened.Unlink);
        }

        Assert.True(File.Exists("/dev/shm/mp." + name));
        created.Unlink();
        Assert.False(File.Exists("/dev/shm/mp." + name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("a..b")]
    [InlineData("with space")]
    [InlineData("ünïcode")]
    public void Bad_names_are_refused_with_what_is_allowed(string name)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => SharedMemoryBlock.Create(name, 16));
        Assert.Contains("letters, digits", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_300_character_name_is_refused()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => SharedMemoryBlock.Open(new string('a', 300)));
        Assert.Contains("300 characters", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_a_missing_name_says_which_name()
    {
        string name = UniqueName();
        FileNotFoundException e = Assert.Throws<FileNotFoundException>(() => SharedMemoryBlock.Open(name));
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Creating_a_taken_name_fails()
    {
        using SharedMemoryBlock a = SharedMemoryBlock.Create(16);
        Assert.Throws<IOException>(() => SharedMemoryBlock.Create(a.Name, 16));
        a.Unlink();
    }

    [Fact]
    public void Opening_a_segment_of_another_kind_names_both_kinds()
    {
        string name = UniqueName();
        using Segment s = Segment.Create(name, SegmentKind.Lock, 1, 64);
        s.Publish();
        WrongKindException e = Assert.Throws<WrongKindException>(() => SharedMemoryBlock.Open(name));
        Assert.Contains("SharedLock", e.Message, StringComparison.Ordinal);
        Assert.Contains("SharedMemoryBlock", e.Message, StringComparison.Ordinal);
        s.Unlink();
    }

    [Fact]
    public void Opening_another_layout_version_or_tag_is_refused()
    {
        string name = UniqueName();
        using Segment s = Segment.Create(name, SegmentKind.Queue, 1, 64, tag: "Int32");
        s.Publish();
        Assert.Throws<InvalidDataException>(() => Segment.Open(name, SegmentKind.Queue, 2, "Int32"));
        WrongKindException e = Assert.Throws<WrongKindException>(() => Segment.Open(name, SegmentKind.Queue, 1, "String"));
        Assert.Contains("Int32", e.Message, StringComparison.Ordinal);
        s.Unlink();
    }

    [Fact]
    public void A_file_that_is_not_ours_is_refused()
    {
        string name = UniqueName();
        File.WriteAllBytes("/dev/shm/mp." + name, new byte[256]);
        try
        {
            InvalidDataException e = Assert.Throws<InvalidDataException>(() => SharedMemoryBlock.Open(name));
            Assert.Contains("not a Multiprocessing segment", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete("/dev/shm/mp." + name);
        }
    }
}
