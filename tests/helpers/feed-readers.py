"""What two real feed readers make of our feeds, as JSON on stdout (tests/helpers/feed-readers.ts runs it).

  feed-readers.py feedparser REQUESTS_JSON  -> [{url, status, bozo, error, version, etag, modified, entries: [...]}]
  feed-readers.py newsboat CACHE_DB         -> {feeds: [{rssurl, title, etag, lastmodified}], items: [{guid, feedurl, title, author, url, pubDate, content, unread}]}

Runs under Debian's /usr/bin/python3 (python3-feedparser); sqlite3 is in its standard library.
"""
import calendar
import datetime
import json
import sqlite3
import sys


def iso(parsed):
    if not parsed:
        return None
    return datetime.datetime.fromtimestamp(calendar.timegm(parsed), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def read_feedparser(requests):
    import feedparser

    results = []
    for request in requests:
        d = feedparser.parse(request['url'], etag=request.get('etag'), modified=request.get('modified'))
        results.append({
            'url': request['url'],
            'status': d.get('status'),
            'bozo': bool(d.bozo),
            'error': repr(d.get('bozo_exception')) if d.bozo else None,
            'version': d.get('version'),
            'etag': d.get('etag'),
            'modified': d.get('modified'),
            'title': d.feed.get('title'),
            'entries': [{
                'id': e.get('id'),
                'title': e.get('title'),
                'link': e.get('link'),
                'author': e.get('author'),
                'published': iso(e.get('published_parsed')),
                'summary': e.get('summary'),
                'content': [c.value for c in e.get('content', [])],
            } for e in d.entries],
        })
    return results


def read_newsboat(path):
    db = sqlite3.connect(path)
    feeds = [dict(zip(('rssurl', 'title', 'etag', 'lastmodified'), row))
             for row in db.execute('SELECT rssurl, title, etag, lastmodified FROM rss_feed ORDER BY rssurl')]
    items = [dict(zip(('guid', 'feedurl', 'title', 'author', 'url', 'pubDate', 'content', 'unread'), row))
             for row in db.execute('SELECT guid, feedurl, title, author, url, pubDate, content, unread FROM rss_item ORDER BY id')]
    return {'feeds': feeds, 'items': items}


if __name__ == '__main__':
    mode, argument = sys.argv[1], sys.argv[2]
    result = read_feedparser(json.loads(argument)) if mode == 'feedparser' else read_newsboat(argument)
    json.dump(result, sys.stdout, ensure_ascii=False)
