"""The browser check itself: it must see what a page requests and what it logs as an error."""

from browser import require_browser, visit


def test_the_browser_check_sees_requests_and_console_errors(tmp_path):
    require_browser()
    page = tmp_path / "page.html"
    page.write_text('<!DOCTYPE html><html><head><title>t</title></head><body><section id="a"></section>'
                    '<img src="http://example.com/pixel.png"><script>console.error("boom")</script></body></html>')
    seen = visit(page, tmp_path / "shot.png")
    assert any("example.com" in url for url in seen.requests)
    assert any("boom" in message for message in seen.console_errors)
    assert seen.sections == ["a"] and seen.title == "t"
    assert (tmp_path / "shot.png").stat().st_size > 0
