import { Module } from '@nestjs/common';
import { EstateService } from './estate.service';
import { ServersController, ServersImportController } from './servers.controller';

@Module({
  controllers: [ServersImportController, ServersController],
  providers: [EstateService],
  exports: [EstateService],
})
export class EstateModule {}
