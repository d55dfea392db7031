"""`k2search mcp` driven by the official MCP Python SDK over stdio: list the tools,
call both, read the stats resource, bad calls, and 100 calls with no leak."""

import asyncio
import json
import os

import pytest

mcp = pytest.importorskip("mcp", reason="the MCP Python SDK is not installed")
psutil = pytest.importorskip("psutil")
from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402
from mcp.shared.exceptions import MCPError  # noqa: E402

from conftest import AUTISM_URL  # noqa: E402


def run(k2search_bin, index, scenario):
    """Runs `scenario(session, server_process)` against a fresh `k2search mcp`."""

    async def main():
        params = StdioServerParameters(command=k2search_bin, args=["mcp", "--index", str(index)])
        with open(os.devnull, "w") as errlog:
            async with stdio_client(params, errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await scenario(session, server_process(k2search_bin))

    return asyncio.run(asyncio.wait_for(main(), timeout=120))


def server_process(k2search_bin):
    """The `k2search mcp` child of this test process."""
    children = [
        p for p in psutil.Process().children(recursive=True)
        if os.path.basename(p.exe()) == os.path.basename(k2search_bin)
    ]
    assert len(children) == 1, children
    return children[0]


def text_of(result):
    return "\n".join(block.text for block in result.content)


def test_tools_and_resource(k2search_bin, seed_index):
    async def scenario(session, _):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == {"search_health_content", "get_passage"}
        search = tools["search_health_content"]
        assert "cite" in search.description and "url" in search.description
        assert set(search.input_schema["properties"]) == {"query", "limit", "category"}
        assert search.input_schema["required"] == ["query"]

        result = await session.call_tool(
            "search_health_content", {"query": "warfarin interaction", "limit": 3}
        )
        assert not result.is_error
        hits = result.structured_content["hits"]
        assert 1 <= len(hits) <= 3
        top = hits[0]
        assert top["rank"] == 1 and "warfarin" in top["text"].lower()
        assert f"/{top['path']}:{top['line_start']}-{top['line_end']}" in top["citation"]
        # The text the model reads names each citation, then the passage.
        assert len(result.content) == len(hits)
        assert f"citation: {top['citation']}" in result.content[0].text
        assert top["text"] in result.content[0].text

        dosage = await session.call_tool(
            "search_health_content", {"query": "vitamin k2", "limit": 5, "category": "dosage"}
        )
        assert all(h["category"] == "dosage" for h in dosage.structured_content["hits"])

        passage = await session.call_tool("get_passage", {"id": top["id"]})
        assert not passage.is_error
        assert passage.structured_content["citation"] == top["citation"]
        assert passage.structured_content["text"] == top["text"]

        resources = (await session.list_resources()).resources
        assert [str(r.uri) for r in resources] == ["k2search://stats"]
        stats = await session.read_resource("k2search://stats")
        body = json.loads(stats.contents[0].text)
        assert body["files"] == 5 and body["passages"] > 20

    run(k2search_bin, seed_index, scenario)


def test_url_is_given_to_cite(k2search_bin, url_index):
    async def scenario(session, _):
        result = await session.call_tool("search_health_content", {"query": "autism treatment"})
        hit = result.structured_content["hits"][0]
        assert hit["url"] == AUTISM_URL
        assert f"url: {AUTISM_URL}" in result.content[0].text

    run(k2search_bin, url_index, scenario)


def test_bad_calls_are_errors_not_crashes(k2search_bin, seed_index):
    async def scenario(session, process):
        bad = [
            ("search_health_content", {"query": "x", "limit": 0}, "limit must be between 1 and"),
            ("search_health_content", {"query": "x", "category": "nope"}, 'unknown category "nope"'),
            ("search_health_content", {"query": "   "}, "query is empty"),
            ("get_passage", {"id": "no-such-id"}, 'no passage with id "no-such-id"'),
        ]
        for tool, arguments, message in bad:
            result = await session.call_tool(tool, arguments)
            assert result.is_error, (tool, arguments)
            assert message in text_of(result)
        # Malformed arguments and unknown tools are protocol errors.
        for tool, arguments in [
            ("search_health_content", {"limit": 3}),
            ("search_health_content", {"query": "x", "limit": -1}),
            ("search_health_content", {"query": 7}),
            ("no_such_tool", {}),
        ]:
            try:
                result = await session.call_tool(tool, arguments)
            except MCPError:
                continue
            assert result.is_error, (tool, arguments)
        with pytest.raises(MCPError):
            await session.read_resource("k2search://nothing")
        assert process.is_running()
        after = await session.call_tool("search_health_content", {"query": "warfarin"})
        assert not after.is_error and after.structured_content["hits"]

    run(k2search_bin, seed_index, scenario)


def test_hundred_calls_do_not_leak(k2search_bin, seed_index):
    queries = ["warfarin interaction", "vitamin k2 dosage", "side effects", "bone density"]

    async def scenario(session, process):
        async def calls(n):
            for i in range(n):
                result = await session.call_tool(
                    "search_health_content", {"query": queries[i % len(queries)], "limit": 5}
                )
                assert not result.is_error
                if i % 10 == 0:
                    hit = result.structured_content["hits"][0]
                    await session.call_tool("get_passage", {"id": hit["id"]})

        await calls(20)  # warm: caches, allocator arenas
        before = process.memory_info().rss
        await calls(100)
        after = process.memory_info().rss
        return before, after

    before, after = run(k2search_bin, seed_index, scenario)
    grown = after - before
    assert grown < 8 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB over 100 calls"
