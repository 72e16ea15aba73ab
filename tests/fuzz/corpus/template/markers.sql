select {{ dds }}.x, {{staging}}.y, {{  date  }} -- {{ пусто }}
from {{ mart }}.z where run = {{run_id}}