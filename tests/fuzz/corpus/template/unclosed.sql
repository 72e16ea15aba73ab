select 1
{{ dds 