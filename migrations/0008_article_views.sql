-- Who read an article on which day (UTC), so a view counts once per visitor per day.
-- visitor: "u<id>" for a signed-in user, else a keyed hash of the address and browser.
CREATE TABLE article_views (
  article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
  visitor TEXT NOT NULL,
  day BIGINT NOT NULL,
  PRIMARY KEY (article_id, visitor, day)
);
CREATE INDEX article_views_day ON article_views(day);
