SELECT get_block_size('memory')
